/**
 * `npm run bench [-- --rows 10000000 --runs 15 --out bench.json --data-dir ./data-bench --load-rows 10000000 --only queries|reports|load --rounds 2]`
 *
 * Generates (or reuses) a demo data set, then runs a fixed set of representative
 * queries twice in the same process: through the HTTP API (a real socket) and
 * as equivalent hand-written SQL directly on the engine. Prints median and p95
 * of each and their ratio (API / engine), and writes the same as JSON. Then
 * the load benchmark (bench/load.ts): CSV and Parquet loaded by our loader and
 * by ClickHouse's own insert of the same files, rows/s and their ratio.
 * `--only load` prepares the reference data only (no demo rows, no HTTP app).
 * The report benchmark (bench/reports.ts, also with `--only reports`): every
 * report for each profile level, first run after a load (empty result cache,
 * `--rounds` times) and repeated (`--runs` times a round); the local profiles take Lazio's busiest ATS, comune
 * and Comune ente (`--places busiest`, the worst local case) or the median ones (`--places median`, a typical user);
 * `--shared-scans off` runs every table of a report as a query of its own (to measure what sharing saves);
 * `all` shares at every scope size, `default` up to what the engine's memory limit allows, as the server does.
 * `--only concurrency` (bench/concurrency.ts): what the engine runs at once,
 * then 50 clients for 60 s through the API (`--clients`, `--seconds`).
 * `--only forms` (bench/forms.ts): the two SQL forms of protected queries
 * (one level, per person) on the same secured plans, engine time and memory.
 */
import { createQueryContext } from '../server/context.ts';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../server/config.ts';
import { prepareData } from '../server/data/bootstrap.ts';
import { openEngine } from '../server/engine/client.ts';
import { buildApp } from '../server/http/app.ts';
import { loadModel } from '../server/model/load.ts';
import { createVerifier, mintToken } from '../server/security/tokens.ts';
import { benchForms, type FormResult } from './forms.ts';
import { benchConcurrency, printConcurrency, type ConcurrencyResult } from './concurrency.ts';
import { benchLoads, LOAD_METHODS, printLoads, type LoadBenchResult } from './load.ts';
import { benchReports, printReports, quantile, type ReportBenchResult } from './reports.ts';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    runs: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '2' },
    out: { type: 'string' },
    'data-dir': { type: 'string' },
    'load-rows': { type: 'string', default: '10000000' },
    only: { type: 'string' },
    rounds: { type: 'string', default: '2' },
    clients: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '60' },
    cache: { type: 'boolean', default: false },
    'think-ms': { type: 'string', default: '0' },
    profiles: { type: 'string' },
    places: { type: 'string', default: 'busiest' },
    'shared-scans': { type: 'string', default: 'default' },
    reports: { type: 'string' },
  },
});
const loadRows = Number(args['load-rows']);
const only = args.only;
const rows = Number(args.rows);
const runs = Number(args.runs);
const warmup = Number(args.warmup);
const rounds = Number(args.rounds);
if (!Number.isInteger(rows) || rows < 1000 || !Number.isInteger(runs) || runs < 1 || !Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(loadRows) || loadRows < 1000 || !['busiest', 'median'].includes(args.places!) || !['default', 'off', 'all'].includes(args['shared-scans']!) || (only !== undefined && !['queries', 'reports', 'load', 'concurrency', 'forms'].includes(only))) {
  console.error('uso: npm run bench -- [--rows N (>= 1000)] [--runs N] [--warmup N] [--rounds N] [--out file.json] [--data-dir dir] [--load-rows N (>= 1000)] [--only queries|reports|load|concurrency|forms] [--clients N --seconds S --cache --think-ms N] [--profiles nazionale,regionale,ats,comunale,ente] [--reports nome,nome] [--places busiest|median] [--shared-scans default|off|all]');
  process.exit(2);
}

const config = loadConfig(process.env);
const dataDir = resolve(args['data-dir'] ?? `./data-bench-${rows}`);
const engineConfig = { url: config.clickhouseUrl, user: config.clickhouseUser, password: config.clickhousePassword, database: config.database, dataDir, limits: config.limits, scheduler: config.scheduler };
const engine = await openEngine(engineConfig);
console.log(`[bench] motore ${engine.transport}, dati in ${dataDir}, ${rows.toLocaleString('it-IT')} righe richieste`);
// The load benchmark alone needs only the reference data (territorio, nomenclatore), not the demo rows.
await prepareData(engine, { demoRows: rows, seed: config.seed, demo: only !== 'load', log: (l) => console.log(l) });

const results: QueryResult[] = only === undefined || only === 'queries' ? await benchQueries() : [];
if (results.length) {
  console.log(`\n${rows.toLocaleString('it-IT')} righe richieste, ${runs} misure per query (mediana / p95, ms)\n`);
  console.table(results.map((r) => ({ query: r.name, 'API med': r.api_median_ms, 'API p95': r.api_p95_ms, 'SQL med': r.raw_median_ms, 'SQL p95': r.raw_p95_ms, 'API/SQL': r.ratio })));
}

const reports: ReportBenchResult[] = only === undefined || only === 'reports' ? await benchReports(engine, { rounds, repeats: runs, profiles: args.profiles?.split(','), reports: args.reports?.split(','), places: args.places as 'busiest' | 'median', sharedScanMaxRows: { default: undefined, off: 0, all: Infinity }[args['shared-scans'] as 'default' | 'off' | 'all'], log: (l) => console.log(l) }) : [];
if (reports.length) printReports(reports);

let concurrency: ConcurrencyResult | undefined;
if (only === 'concurrency') {
  concurrency = await benchConcurrency(engine, { clients: Number(args.clients), seconds: Number(args.seconds), cache: args.cache, thinkMs: Number(args['think-ms']), log: (l) => console.log(l) });
  printConcurrency(concurrency);
}

let forms: FormResult[] | undefined;
if (only === 'forms') {
  // Each form runs in a process of its own, on the same data directory: this process lets go of it.
  await engine.close();
  forms = await benchForms(engineConfig, runs, (l) => console.log(l));
  console.log('\nle due forme SQL della stessa query protetta: secondi nel motore e RSS massimo del processo (MB)');
  console.table(forms);
  if (args.out) writeFileSync(args.out, JSON.stringify({ rows, transport: 'embedded', date: new Date().toISOString(), forms }, null, 2) + '\n');
  process.exit(0);
}

let loads: LoadBenchResult[] = [];
if (only === undefined || only === 'load') {
  loads = await benchLoads(engine, { rows: loadRows, dir: dataDir, log: (l) => console.log(l) });
  printLoads(loads);
}
if (args.out) {
  const out = { rows, runs, rounds, transport: engine.transport, date: new Date().toISOString(), queries: results, reports, loads, ...(concurrency ? { concurrency } : {}), ...(forms ? { forms } : {}), ...(loads.length ? { load_methods: LOAD_METHODS } : {}) };
  writeFileSync(args.out, JSON.stringify(out, null, 2) + '\n');
  console.log(`risultati scritti in ${args.out}`);
}
await engine.close();

interface QueryResult {
  name: string;
  api_median_ms: number;
  api_p95_ms: number;
  raw_median_ms: number;
  raw_p95_ms: number;
  ratio: number;
}

/** API vs hand-written SQL on the demo data. */
async function benchQueries(): Promise<QueryResult[]> {
  const model = loadModel({ dir: resolve('cubes') });
  const context = await createQueryContext(engine, model);
  // The benchmark calls the API as a national user: a token signed with a one-off secret.
  const secret = randomBytes(32).toString('base64url');
  const app = await buildApp({ context: () => context, auth: { verify: await createVerifier({ secret }) } });
  const authorization = `Bearer ${await mintToken({ secret, profile: 'nazionale', subject: 'bench', expiresIn: '1d' })}`;
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  const P = engine.table('prestazioni');
  const [{ ats }] = await engine.query<{ ats: string }>(`SELECT ats FROM ${P} GROUP BY ats ORDER BY count() DESC LIMIT 1`);
  const [{ comune }] = await engine.query<{ comune: string }>(`SELECT comune FROM ${P} GROUP BY comune ORDER BY count() DESC LIMIT 1`);
  const ETA = `multiIf(eta <= 2, '0-2', eta <= 5, '3-5', eta <= 17, '6-17', eta <= 24, '18-24', eta <= 44, '25-44', eta <= 64, '45-64', eta <= 74, '65-74', eta <= 84, '75-84', '85+')`;

  interface Case {
    name: string;
    body: unknown;
    sql: string;
    params?: Record<string, unknown>;
  }
  const cases: Case[] = [
    {
      name: 'totale nazionale per regione',
      body: { measures: ['beneficiari', 'importo'], rows: ['regione'] },
      sql: `SELECT regione, uniqExact(beneficiario_id) b, sum(importo) i FROM ${P} GROUP BY regione ORDER BY regione`,
    },
    {
      name: 'un ATS per categoria',
      body: { measures: ['beneficiari', 'importo'], rows: ['categoria'], filters: [{ dimension: 'ats', op: 'eq', value: ats }] },
      sql: `SELECT categoria, uniqExact(beneficiario_id) b, sum(importo) i FROM ${P} WHERE ats = {ats:String} GROUP BY categoria ORDER BY categoria`,
      params: { ats },
    },
    {
      name: 'tutti gli anni per anno',
      body: { measures: ['beneficiari', 'importo'], rows: ['anno'] },
      sql: `SELECT anno, uniqExact(beneficiario_id) b, sum(importo) i FROM ${P} GROUP BY anno ORDER BY anno`,
    },
    {
      name: 'un comune per fascia di età e genere',
      body: { measures: ['beneficiari', 'importo'], rows: ['fascia_eta', 'genere'], filters: [{ dimension: 'comune', op: 'eq', value: comune }] },
      sql: `SELECT ${ETA} AS f, genere, uniqExact(beneficiario_id) b, sum(importo) i FROM ${P} WHERE comune = {comune:String} GROUP BY f, genere ORDER BY f, genere`,
      params: { comune },
    },
    {
      name: 'pivot regioni x categorie con totali',
      body: { measures: ['beneficiari', 'importo'], rows: ['regione'], columns: ['categoria'], totals: true },
      sql: `SELECT regione, categoria, uniqExact(beneficiario_id) b, sum(importo) i FROM ${P} GROUP BY GROUPING SETS ((regione, categoria), (regione), (categoria), ()) ORDER BY regione, categoria SETTINGS group_by_use_nulls = 1`,
    },
  ];

  async function time(fn: () => Promise<unknown>): Promise<number[]> {
    for (let i = 0; i < warmup; i++) await fn();
    const out: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await fn();
      out.push(performance.now() - t0);
    }
    return out;
  }

  const results: QueryResult[] = [];
  for (const c of cases) {
    const api = await time(async () => {
      const res = await fetch(`${base}/v1/cubes/prestazioni/query`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify(c.body) });
      if (!res.ok) throw new Error(`${c.name}: ${res.status} ${await res.text()}`);
      await res.json();
    });
    const raw = await time(() => engine.query(c.sql, c.params ?? {}));
    const r = {
      name: c.name,
      api_median_ms: +quantile(api, 0.5).toFixed(2),
      api_p95_ms: +quantile(api, 0.95).toFixed(2),
      raw_median_ms: +quantile(raw, 0.5).toFixed(2),
      raw_p95_ms: +quantile(raw, 0.95).toFixed(2),
      ratio: +(quantile(api, 0.5) / quantile(raw, 0.5)).toFixed(2),
    };
    results.push(r);
    console.log(`[bench] ${c.name}: API ${r.api_median_ms} ms, motore ${r.raw_median_ms} ms`);
  }

  await app.close();
  return results;
}
