/**
 * `npm run bench -- --only reports`: every report, for each profile level
 * (Nazionale, a Regione, an ATS, a Comune, an Ente), through the HTTP API.
 * Each round starts with an empty result cache, as right after a load: the
 * first request of each report is computed ("first"), then the same request
 * is repeated ("repeat", served by the cache). p50 / p95 in ms, client side
 * (socket, JSON included); for the repeats also in the server (Server-Timing).
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { resolve } from 'node:path';
import { createQueryContext } from '../server/context.ts';
import type { Engine } from '../server/engine/client.ts';
import { buildApp } from '../server/http/app.ts';
import { loadModel } from '../server/model/load.ts';
import { ResultCache } from '../server/query/cache.ts';
import type { QueryContext } from '../server/query/execute.ts';
import { loadReports } from '../server/reports/load.ts';
import { mayOpenReport } from '../server/security/reports.ts';
import type { Principal, Profile } from '../server/security/principal.ts';
import { createVerifier, mintToken } from '../server/security/tokens.ts';

export interface ReportBenchResult {
  report: string;
  profile: Profile;
  scope: string | null;
  first_p50_ms: number;
  first_p95_ms: number;
  repeat_p50_ms: number;
  repeat_p95_ms: number;
  /** The repeats measured in the server (Server-Timing total: from the request's arrival at the route to the answer ready to send, before the socket). */
  repeat_server_p50_ms: number;
  repeat_server_p95_ms: number;
  /** Answers computed in the last first run (cache misses; a cross-cube ratio adds an engine query to its answer). Profiles run in order within a round, so a later profile reuses an identical secured plan of an earlier one (e.g. the Italia benchmark). */
  answers_computed: number;
  /** Statuses of answers that were not 200 (a 504: over QUERY_MAX_EXECUTION_TIME); the table shows the status and the time it took. */
  refused?: number[];
}

export const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};

/**
 * A POST with no client-side time limit: a national report at 100M rows takes minutes, past the five
 * minutes after which fetch (undici) gives up waiting for the headers. The server's own limits apply.
 */
function post(url: string, authorization: string, body: string): Promise<{ ok: boolean; status: number; text: string; serverTiming: string }> {
  return new Promise((resolvePost, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        resolvePost({ ok: status >= 200 && status < 300, status, text: Buffer.concat(chunks).toString('utf8'), serverTiming: String(res.headers['server-timing'] ?? '') });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The territory a report is about when it sits below the caller's own level. */
type Places = { regione: string; ats: string; comune: string; ente: string };

/** `profiles`: only these profile levels (default all five), e.g. the local ones at 100M rows where national first runs take minutes; `reports`: only these reports (default all). */
/**
 * `places`: 'busiest' (default) takes the Regione's ATS with most rows, its comune and Comune ente with most rows: the
 * worst local case; 'median' takes the ones at the median of those counts, the typical local user.
 */
export async function benchReports(engine: Engine, opts: { rounds: number; repeats: number; profiles?: readonly string[]; places?: 'busiest' | 'median'; reports?: readonly string[]; sharedScanMaxRows?: number; log: (line: string) => void }): Promise<ReportBenchResult[]> {
  const model = loadModel({ dir: resolve('cubes') });
  const reports = loadReports(resolve('cubes/reports'), model);
  const P = engine.table('prestazioni');
  // Lazio, as in the issue; its busiest (or median) ATS, that ATS's comune and the region's Comune ente chosen the same way.
  const regione = '12';
  const pick = async (column: string, where: string, value: string, extra = ''): Promise<string> => {
    const ranked = await engine.query<{ k: string }>(`SELECT ${column} AS k FROM ${P} WHERE ${where} = {v:String}${extra} GROUP BY k ORDER BY count() DESC, k`, { v: value });
    return ranked[opts.places === 'median' ? Math.floor(ranked.length / 2) : 0].k;
  };
  const ats = await pick('ats', 'regione', regione);
  const comune = await pick('comune', 'ats', ats);
  const ente = await pick('ente', 'sede_regione', regione, " AND ente_tipo = 'comune'");
  const places: Places = { regione, ats, comune, ente };
  const profiles: Principal[] = [
    { id: 'bench', profile: 'nazionale' },
    { id: 'bench', profile: 'regionale', scope: regione },
    { id: 'bench', profile: 'ats', scope: ats },
    { id: 'bench', profile: 'comunale', scope: comune },
    { id: 'bench', profile: 'ente', scope: ente },
  ].filter((p) => !opts.profiles || opts.profiles.includes(p.profile)) as Principal[];
  opts.log(`[bench] report: Regione ${regione}, ATS ${ats}, Comune ${comune}, Ente ${ente} (${opts.places === 'median' ? 'mediani' : 'con più righe'})`);

  let context!: QueryContext;
  let cache!: ResultCache;
  const fresh = async () => {
    cache = new ResultCache();
    context = { ...(await createQueryContext(engine, model, { cache })), sharedScanMaxRows: opts.sharedScanMaxRows };
  };
  await fresh();
  const secret = randomBytes(32).toString('base64url');
  // Answers checked as in production (NODE_ENV=production). Rate limits off: every request comes from one address, and repeats
  // served from the cache go well past the per-address budget (the limits are tested in test/throttle.test.ts).
  const app = await buildApp({ context: () => context, reports: () => reports, auth: { verify: await createVerifier({ secret }) }, responseCheck: 'encode', throttle: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  const territorio = (level: string, p: Principal): string | undefined => {
    if (level === 'tutti' || level === p.profile) return undefined;
    return { regionale: places.regione, ats: places.ats, comunale: places.comune, ente: places.ente }[level];
  };
  interface Case {
    report: string;
    principal: Principal;
    authorization: string;
    body: string;
    first: number[];
    repeat: number[];
    repeatServer: number[];
    queries: number;
    /** Statuses of the answers that were not 200 (e.g. 504 over QUERY_MAX_EXECUTION_TIME): measured, not fatal. */
    refused: number[];
  }
  const cases: Case[] = [];
  for (const p of profiles) {
    const authorization = `Bearer ${await mintToken({ secret, profile: p.profile, scope: p.scope, subject: 'bench', expiresIn: '1d' })}`;
    for (const r of reports.values()) {
      if (!mayOpenReport(r, p, model) || (opts.reports && !opts.reports.includes(r.name))) continue;
      const t = territorio(r.level, p);
      cases.push({ report: r.name, principal: p, authorization, body: JSON.stringify(t ? { territorio: t } : {}), first: [], repeat: [], repeatServer: [], queries: 0, refused: [] });
    }
  }
  const call = async (c: Case, server?: number[]): Promise<number> => {
    const t0 = performance.now();
    const res = await post(`${base}/v1/reports/${c.report}`, c.authorization, c.body);
    const text = res.text;
    const ms = performance.now() - t0;
    const total = /total;dur=([\d.]+)/.exec(res.serverTiming);
    if (server && total) server.push(Number(total[1]));
    if (!res.ok) {
      c.refused.push(res.status);
      opts.log(`[bench] ${c.report} (${c.principal.profile}): ${res.status} dopo ${Math.round(ms)} ms: ${text.slice(0, 200)}`);
    }
    return ms;
  };

  for (let round = 0; round < opts.rounds; round++) {
    await fresh(); // as after a load: nothing cached
    for (const c of cases) {
      const misses = cache.stats().misses;
      c.first.push(await call(c));
      c.queries = cache.stats().misses - misses;
      for (let i = 0; i < opts.repeats; i++) c.repeat.push(await call(c, c.repeatServer));
      opts.log(`[bench] ${c.report} (${c.principal.profile}): prima ${Math.round(c.first.at(-1)!)} ms, ripetuta ${Math.round(quantile(c.repeat, 0.5))} ms`);
    }
    opts.log(`[bench] report: giro ${round + 1}/${opts.rounds} finito`);
  }
  await app.close();
  return cases.map((c) => ({
    report: c.report,
    profile: c.principal.profile,
    scope: c.principal.scope ?? null,
    first_p50_ms: +quantile(c.first, 0.5).toFixed(1),
    first_p95_ms: +quantile(c.first, 0.95).toFixed(1),
    repeat_p50_ms: +quantile(c.repeat, 0.5).toFixed(1),
    repeat_p95_ms: +quantile(c.repeat, 0.95).toFixed(1),
    repeat_server_p50_ms: c.repeatServer.length ? +quantile(c.repeatServer, 0.5).toFixed(2) : NaN,
    repeat_server_p95_ms: c.repeatServer.length ? +quantile(c.repeatServer, 0.95).toFixed(2) : NaN,
    answers_computed: c.queries,
    ...(c.refused.length ? { refused: c.refused } : {}),
  }));
}

/** One line per report, one column pair per profile: first run and repeat, p50 (p95). */
export function printReports(results: ReportBenchResult[]): void {
  const profiles = [...new Set(results.map((r) => r.profile))];
  const rows = [...new Set(results.map((r) => r.report))].map((report) => {
    const row: Record<string, string> = { report };
    for (const p of profiles) {
      const r = results.find((x) => x.report === report && x.profile === p);
      row[p] = !r ? '—' : r.refused ? `${r.refused[0]} (${r.first_p50_ms})` : `${r.first_p50_ms} (${r.first_p95_ms}) / ${r.repeat_p50_ms} (${r.repeat_p95_ms})`;
    }
    return row;
  });
  console.log('\nreport: prima esecuzione dopo un caricamento / ripetuta, ms p50 (p95)\n');
  console.table(rows);
  const worst = results.filter((r) => !r.refused && Number.isFinite(r.repeat_server_p95_ms)).sort((a, b) => b.repeat_server_p95_ms - a.repeat_server_p95_ms)[0];
  if (worst) console.log(`ripetute misurate nel server (Server-Timing, serializzazione esclusa: per una ripetuta è la stessa già fatta), p95 più alto: ${worst.repeat_server_p95_ms} ms (${worst.report}, ${worst.profile}); p50 più alto: ${Math.max(...results.filter((r) => Number.isFinite(r.repeat_server_p50_ms)).map((r) => r.repeat_server_p50_ms))} ms`);
}
