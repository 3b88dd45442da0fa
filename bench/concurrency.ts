/**
 * `npm run bench -- --only concurrency [--rows 2000000 --clients 50 --seconds 60]`
 *
 * 1. What the embedded engine runs at once: one heavy parameterised query
 *    alone, two one after the other, two at once; a cheap query alone and
 *    while a heavy one runs.
 * 2. Load: N clients (each its own principal) for S seconds through the HTTP
 *    API with the server's default limits and scheduler: Nazionale and
 *    Regione users ask heavy queries, ATS and Comune users cheap ones; one
 *    Nazionale user keeps sending the query that once killed the server.
 *    Reports req/s, p50/p95/p99 of cheap and heavy queries apart, answers by
 *    status, peak RSS of the process (server + engine + clients).
 * Rate limiting is off here: all clients share one address and the point is
 * the engine path (the limits themselves are tested in test/throttle.test.ts).
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Engine } from '../server/engine/client.ts';
import type { FastifyInstance } from 'fastify';
import { createQueryContext } from '../server/context.ts';
import { ResultCache } from '../server/query/cache.ts';
import { buildApp } from '../server/http/app.ts';
import { loadModel } from '../server/model/load.ts';
import { createVerifier, mintToken } from '../server/security/tokens.ts';
import type { Profile } from '../server/security/principal.ts';
import { resolve } from 'node:path';

export interface EngineConcurrency {
  heavy_alone_ms: number;
  heavy_two_sequential_ms: number;
  heavy_two_parallel_ms: number;
  cheap_alone_ms: number;
  cheap_during_heavy_ms: number;
}

export interface LoadClass {
  requests: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
}

export interface ConcurrencyResult {
  engine: EngineConcurrency;
  clients: number;
  seconds: number;
  /** Whether the result cache was on. */
  cache: boolean;
  /** Mean pause of a client between an answer and its next request (0: closed loop). */
  think_ms: number;
  requests: number;
  req_per_s: number;
  cheap: LoadClass;
  heavy: LoadClass;
  /**
   * The same after the first quarter of the run: the start is a burst in which every client asks
   * for a view nobody asked before (no answer cached, no scope's cost statistics yet).
   */
  steady: { cheap: LoadClass; heavy: LoadClass };
  /**
   * Where the time of the answers computed by the engine went, from their Server-Timing header:
   * p50/p95 in ms of the cost estimate, the wait in the scheduler's queue and the engine's work.
   */
  phases: { cheap: Record<string, { p50: number; p95: number }>; heavy: Record<string, { p50: number; p95: number }> };
  /**
   * Cheap answers slower than 100 ms (the target), by origin (served from the result cache or computed)
   * and by the second of the run they started in: what the p95 is made of.
   */
  slow_cheap: { over_100ms: number; hits: number; computed: number; by_second: Record<string, number> };
  statuses: Record<string, number>;
  errors: number;
  peak_rss_mb: number;
  /** Delay of the process's event loop during the load (server and clients share it): p50/p99/max in ms. */
  event_loop_delay_ms: { p50: number; p99: number; max: number };
  /** The machine's 1-minute load average before and after the load (other processes included). */
  load_average: [number, number];
}

const quantile = (xs: number[], q: number) => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return +s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)].toFixed(1);
};

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return +(performance.now() - t0).toFixed(1);
}

/** Does the embedded engine run two queries at once? */
async function measureEngine(engine: Engine, comune: string): Promise<EngineConcurrency> {
  const P = engine.table('prestazioni');
  const heavy = () => engine.query(`SELECT regione, categoria, anno, uniqExact(beneficiario_id) b, sum(importo) i FROM ${P} WHERE anno >= {y:UInt16} GROUP BY GROUPING SETS ((regione, categoria, anno), (regione, categoria), (regione), ())`, { y: 0 });
  const cheap = () => engine.query(`SELECT genere, uniqExact(beneficiario_id) b FROM ${P} WHERE comune = {c:String} GROUP BY genere`, { c: comune });
  await heavy();
  await cheap();
  const heavy_alone_ms = await timed(heavy);
  const heavy_two_sequential_ms = await timed(async () => {
    await heavy();
    await heavy();
  });
  const heavy_two_parallel_ms = await timed(() => Promise.all([heavy(), heavy()]));
  const cheap_alone_ms = await timed(cheap);
  const running = heavy();
  await new Promise((r) => setTimeout(r, 20));
  const cheap_during_heavy_ms = await timed(cheap);
  await running;
  return { heavy_alone_ms, heavy_two_sequential_ms, heavy_two_parallel_ms, cheap_alone_ms, cheap_during_heavy_ms };
}

interface ClientPlan {
  profile: Profile;
  scope?: string;
  kind: 'cheap' | 'heavy';
  bodies: unknown[];
}

/** `cache`: with the result cache as deployed (repeated requests answered from memory); without, every request reaches the engine. */
/** `thinkMs`: each client pauses this long after an answer, as a person reading it would (0: a closed loop that saturates the server). */
export async function benchConcurrency(engine: Engine, opts: { clients: number; seconds: number; cache: boolean; thinkMs: number; log: (l: string) => void }): Promise<ConcurrencyResult> {
  const P = engine.table('prestazioni');
  const top = async (col: string, n: number) => (await engine.query<{ k: string }>(`SELECT ${col} AS k FROM ${P} GROUP BY k ORDER BY count() DESC, k LIMIT {n:UInt32}`, { n })).map((r) => r.k);
  const [regioni, atss, comuni] = await Promise.all([top('regione', 5), top('ats', 20), top('comune', 20)]);

  opts.log('[bench] motore: una query pesante da sola, due in fila, due insieme; una leggera da sola e durante una pesante');
  const engineResult = await measureEngine(engine, comuni[0]);
  opts.log(`[bench] ${JSON.stringify(engineResult)}`);

  const model = loadModel({ dir: resolve('cubes') });
  const context = await createQueryContext(engine, model, opts.cache ? { cache: new ResultCache() } : {});
  const secret = randomBytes(32).toString('base64url');
  // Answers checked as in production (NODE_ENV=production: encoded by the response schema, not also compared field by field).
  const app: FastifyInstance = await buildApp({ context: () => context, auth: { verify: await createVerifier({ secret }) }, throttle: false, responseCheck: 'encode' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/v1/cubes/prestazioni/query`;

  const killer = { measures: ['beneficiari', 'importo'], rows: ['regione', 'ats', 'comune', 'categoria', 'codice_prestazione', 'fascia_eta', 'genere', 'area_utenza'], columns: ['anno', 'trimestre', 'carattere', 'presa_in_carico'], totals: true, subtotals: true, limit: 10 };
  const heavyNational = [
    { measures: ['beneficiari', 'importo'], rows: ['regione', 'categoria', 'fascia_eta'], columns: ['anno'], totals: true, subtotals: true },
    { measures: ['beneficiari', 'importo', 'importo_medio'], rows: ['comune'], columns: ['anno'], totals: true, limit: 1000 },
    { measures: ['beneficiari'], rows: ['codice_prestazione', 'area_utenza'], columns: ['genere'], totals: true },
  ];
  const heavyRegional = [{ measures: ['beneficiari', 'importo'], rows: ['ats', 'categoria'], columns: ['anno'], totals: true, subtotals: true }];
  const cheap = [
    { measures: ['beneficiari', 'importo'], rows: ['fascia_eta', 'genere'] },
    { measures: ['beneficiari', 'importo'], rows: ['categoria'], columns: ['anno'], totals: true },
  ];
  const plans: ClientPlan[] = [];
  for (let i = 0; i < opts.clients; i++) {
    const r = i % 10;
    if (i === 0) plans.push({ profile: 'nazionale', kind: 'heavy', bodies: [killer, ...heavyNational] });
    else if (r < 2) plans.push({ profile: 'nazionale', kind: 'heavy', bodies: heavyNational });
    else if (r < 4) plans.push({ profile: 'regionale', scope: regioni[i % regioni.length], kind: 'heavy', bodies: heavyRegional });
    else if (r < 7) plans.push({ profile: 'ats', scope: atss[i % atss.length], kind: 'cheap', bodies: cheap });
    else plans.push({ profile: 'comunale', scope: comuni[i % comuni.length], kind: 'cheap', bodies: cheap });
  }

  const latencies = { cheap: [] as number[], heavy: [] as number[] };
  const steady = { cheap: [] as number[], heavy: [] as number[] };
  const steadyFrom = Date.now() + (opts.seconds * 1000) / 4;
  const phaseTimes = { cheap: new Map<string, number[]>(), heavy: new Map<string, number[]>() };
  const statuses: Record<string, number> = {};
  const slowCheap = { over_100ms: 0, hits: 0, computed: 0, by_second: {} as Record<string, number> };
  const loadBefore = +loadavg()[0].toFixed(1);
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const deadline = Date.now() + opts.seconds * 1000;
  const t0 = performance.now();
  opts.log(`[bench] carico: ${opts.clients} client per ${opts.seconds} s`);
  await Promise.all(
    plans.map(async (plan, i) => {
      const authorization = `Bearer ${await mintToken({ secret, profile: plan.profile, scope: plan.scope, subject: `bench-${i}`, expiresIn: '1h' })}`;
      for (let n = 0; Date.now() < deadline; n++) {
        const body = plan.bodies[n % plan.bodies.length];
        const start = performance.now();
        const startedAt = Date.now();
        let status = 0;
        let hit = false;
        try {
          const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify(body) });
          await res.arrayBuffer();
          status = res.status;
          // Answers computed by the engine (not from the result cache): where their time went.
          const timing = res.headers.get('server-timing') ?? '';
          hit = timing.includes('desc="hit"');
          if (status === 200 && !hit)
            for (const [, name, dur] of timing.matchAll(/(\w+);dur=([\d.]+)/g)) {
              const xs = phaseTimes[plan.kind].get(name) ?? [];
              xs.push(Number(dur));
              phaseTimes[plan.kind].set(name, xs);
            }
        } catch {
          status = -1;
        }
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status === 200) {
          const ms = performance.now() - start;
          latencies[plan.kind].push(ms);
          if (plan.kind === 'cheap' && ms > 100) {
            slowCheap.over_100ms++;
            slowCheap[hit ? 'hits' : 'computed']++;
            const second = String(Math.floor((startedAt - (deadline - opts.seconds * 1000)) / 1000));
            slowCheap.by_second[second] = (slowCheap.by_second[second] ?? 0) + 1;
          }
          if (startedAt >= steadyFrom) steady[plan.kind].push(performance.now() - start);
        }
        // A refused or busy answer: wait as told before the next request.
        else await new Promise((r) => setTimeout(r, status === 413 ? 0 : 1000));
        if (opts.thinkMs) await new Promise((r) => setTimeout(r, opts.thinkMs * (0.5 + Math.random())));
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  loopDelay.disable();
  await app.close();
  const requests = Object.values(statuses).reduce((a, b) => a + b, 0);
  const klass = (xs: number[]): LoadClass => ({ requests: xs.length, p50_ms: quantile(xs, 0.5), p95_ms: quantile(xs, 0.95), p99_ms: quantile(xs, 0.99) });
  return {
    engine: engineResult,
    clients: opts.clients,
    seconds: opts.seconds,
    cache: opts.cache,
    think_ms: opts.thinkMs,
    requests,
    req_per_s: +(requests / elapsed).toFixed(1),
    steady: { cheap: klass(steady.cheap), heavy: klass(steady.heavy) },
    cheap: klass(latencies.cheap),
    heavy: klass(latencies.heavy),
    phases: {
      cheap: Object.fromEntries([...phaseTimes.cheap].map(([k, xs]) => [k, { p50: quantile(xs, 0.5), p95: quantile(xs, 0.95) }])),
      heavy: Object.fromEntries([...phaseTimes.heavy].map(([k, xs]) => [k, { p50: quantile(xs, 0.5), p95: quantile(xs, 0.95) }])),
    },
    slow_cheap: slowCheap,
    statuses,
    // Intended answers of the limits (413 too large, 429 throttled, 503 busy, 504 stopped at max_execution_time) are not errors.
    errors: Object.entries(statuses).filter(([s]) => !['200', '413', '429', '503', '504'].includes(s)).reduce((a, [, n]) => a + n, 0),
    peak_rss_mb: Math.round(peakRss / 1024 ** 2),
    event_loop_delay_ms: { p50: +(loopDelay.percentile(50) / 1e6).toFixed(1), p99: +(loopDelay.percentile(99) / 1e6).toFixed(1), max: +(loopDelay.max / 1e6).toFixed(1) },
    load_average: [loadBefore, +loadavg()[0].toFixed(1)],
  };
}

export function printConcurrency(r: ConcurrencyResult): void {
  console.log('\nmotore integrato: esecuzione concorrente (ms)');
  console.table(r.engine);
  console.log(`\ncarico: ${r.clients} client, ${r.seconds} s, cache dei risultati ${r.cache ? 'attiva' : 'spenta'}, pausa tra le richieste ${r.think_ms} ms: ${r.requests} richieste, ${r.req_per_s} req/s, RSS massimo ${r.peak_rss_mb} MB, ritardo del ciclo degli eventi p50/p99/max ${r.event_loop_delay_ms.p50}/${r.event_loop_delay_ms.p99}/${r.event_loop_delay_ms.max} ms, errori ${r.errors}, carico della macchina ${r.load_average.join(' -> ')}`);
  console.table({ leggere: r.cheap, pesanti: r.heavy, 'leggere, dopo il primo quarto': r.steady.cheap, 'pesanti, dopo il primo quarto': r.steady.heavy });
  console.log('risposte calcolate dal motore (non dalla cache), dove va il tempo lato server, p50/p95 ms (Server-Timing):');
  console.table(Object.fromEntries((['cheap', 'heavy'] as const).flatMap((k) => Object.entries(r.phases[k]).map(([phase, v]) => [`${k === 'cheap' ? 'leggere' : 'pesanti'} ${phase}`, v]))));
  console.log(`leggere oltre 100 ms: ${r.slow_cheap.over_100ms} (dalla cache ${r.slow_cheap.hits}, calcolate ${r.slow_cheap.computed}); per secondo di partenza: ${JSON.stringify(r.slow_cheap.by_second)}`);
  console.log(`risposte per stato: ${JSON.stringify(r.statuses)}`);
}
