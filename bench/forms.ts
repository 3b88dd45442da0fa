/**
 * `--only forms`: the two SQL forms of a protected query, on the same secured plan the server runs
 * (planner -> gate -> compiler): one GROUP BY over the rows (distinct sets and per-person maps in
 * every cell) and the per-person form the server uses (each person's rows in a cell added up first).
 * Each query `--runs` times per form (the fastest reported), each form in a process of its own (the embedded engine is in the
 * process, so its peak RSS is the engine's memory for that query, with nothing left over from the
 * other form): engine seconds (2 threads) and peak RSS, with the limits of the configuration.
 * A national query, and one each for the largest Regione, ATS and comune.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { EngineConfig } from '../server/engine/client.ts';
import { openEngine } from '../server/engine/client.ts';
import { createQueryContext } from '../server/context.ts';
import { loadModel } from '../server/model/load.ts';
import { QuerySpecSchema } from '../server/plan/spec.ts';
import { compileAggregate } from '../server/query/compile.ts';
import { planQuery } from '../server/query/planner.ts';
import { secure } from '../server/security/gate.ts';
import type { Principal } from '../server/security/principal.ts';

export interface FormResult {
  query: string;
  one_level_s: number | string;
  per_person_s: number | string;
  one_level_peak_rss_mb: number;
  per_person_peak_rss_mb: number;
}

interface Case {
  query: string;
  principal: Principal;
  body: object;
}

/** Runs in the parent, whose engine must be closed (the data directory admits one process). */
/** `runs`: runs of each query in its process, the fastest reported (the first also opens the table's files). */
export async function benchForms(engineConfig: EngineConfig, runs: number, log: (l: string) => void): Promise<FormResult[]> {
  const cases = await chooseCases(engineConfig);
  const out: FormResult[] = [];
  for (const c of cases) {
    // The per-person form first: a cold read of the data, if any, counts against it.
    const perPerson = runChild(engineConfig, c, true, runs);
    const oneLevel = runChild(engineConfig, c, false, runs);
    out.push({ query: c.query, one_level_s: oneLevel.s, per_person_s: perPerson.s, one_level_peak_rss_mb: oneLevel.mb, per_person_peak_rss_mb: perPerson.mb });
    log(`[bench] ${JSON.stringify(out.at(-1))}`);
  }
  return out;
}

async function chooseCases(config: EngineConfig): Promise<Case[]> {
  const engine = await openEngine(config);
  try {
    const P = engine.table('prestazioni');
    const top = async (col: string) => (await engine.query<{ k: string }>(`SELECT ${col} AS k FROM ${P} GROUP BY k ORDER BY count() DESC, k LIMIT 1`))[0].k;
    const [regione, ats, comune] = [await top('regione'), await top('ats'), await top('comune')];
    const body = { measures: ['beneficiari', 'importo'], rows: ['categoria'], columns: ['anno'], totals: true };
    return [
      { query: 'Italia: regione × anno, totali', principal: { id: 'n', profile: 'nazionale' }, body: { measures: ['beneficiari', 'importo'], rows: ['regione'], columns: ['anno'], totals: true } },
      { query: `Regione ${regione}: categoria × anno, totali`, principal: { id: 'r', profile: 'regionale', scope: regione }, body },
      { query: `ATS ${ats}: categoria × anno, totali`, principal: { id: 'a', profile: 'ats', scope: ats }, body },
      { query: `comune ${comune}: categoria × anno, totali`, principal: { id: 'c', profile: 'comunale', scope: comune }, body },
    ];
  } finally {
    await engine.close();
  }
}

function runChild(config: EngineConfig, c: Case, perPerson: boolean, runs: number): { s: number | string; mb: number } {
  const input = JSON.stringify({ config, case: c, perPerson, runs });
  const output = execFileSync(process.execPath, ['--import', 'tsx', resolve('bench/forms.ts'), '--child'], { input, encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(output.trim().split('\n').at(-1)!);
}

/** The child: one query in one form, then its time and the process's peak RSS on stdout. */
async function child(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const { config, case: c, perPerson, runs } = JSON.parse(Buffer.concat(chunks).toString()) as { config: EngineConfig; case: Case; perPerson: boolean; runs: number };
  const engine = await openEngine(config);
  const model = loadModel({ dir: resolve('cubes') });
  const ctx = await createQueryContext(engine, model, { cellKeySecret: randomBytes(32).toString('base64url') });
  const plan = secure(planQuery(model, 'prestazioni', QuerySpecSchema.parse(c.body)), c.principal, ctx).main;
  const q = compileAggregate(perPerson ? plan : { ...plan, person: undefined }, engine.table);
  let s: number | string = Infinity;
  // Twice: the first run also opens the table's files; the faster of the two is reported.
  for (let i = 0; i < runs && typeof s === 'number'; i++) {
    const t0 = performance.now();
    try {
      await engine.query(q.sql, q.params, { limited: true, maxThreads: 2 });
      s = Math.min(s, +((performance.now() - t0) / 1000).toFixed(2));
    } catch (err) {
      s = `errore: ${(err as Error).message.split('\n')[0].slice(0, 80)}`;
    }
  }
  await engine.close();
  console.log(JSON.stringify({ s, mb: Math.round(process.resourceUsage().maxRSS / 1024) }));
}

if (process.argv.includes('--child')) await child();
