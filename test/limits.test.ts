/**
 * One heavy or hostile user must not stall or kill the server: the cost
 * estimate refuses what cannot be served, the engine cancels what runs over
 * its limits, engine failures answer 503, and cheap queries pass heavy ones in
 * the queue. Behaviour only: no wall-clock assertion.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { createEngine, type Engine } from '../server/engine/client.ts';
import { limitError } from '../server/engine/limits.ts';
import { estimateCost } from '../server/query/cost.ts';
import { createQueryContext } from '../server/context.ts';
import { loadModel } from '../server/model/load.ts';
import { runQuery } from '../server/query/execute.ts';
import { planQuery } from '../server/query/planner.ts';
import { QuerySpecSchema, type QuerySpecInput } from '../server/plan/spec.ts';
import { secure } from '../server/security/gate.ts';
import { mintToken } from '../server/security/tokens.ts';
import { demoApp, TEST_SECRET } from './helpers/app.ts';

const demo = await demoApp(60_000, 7, { engine: { limits: { maxEstimatedRows: 300_000 }, scheduler: { concurrency: 2, perPrincipal: 1 } } });
t.teardown(() => demo.dispose());
const { app, engine, context } = demo;
const P = engine.table('prestazioni');
const T = engine.table('territorio');

const nazionale = { id: 'test:nazionale', profile: 'nazionale' } as const;
const post = async (body: unknown, headers: Record<string, string>) => app.inject({ method: 'POST', url: '/v1/cubes/prestazioni/query', headers, payload: body as object });

/** Nazionale, 8 row dimensions and 4 column dimensions, totals and subtotals, limit 10 (issue #14: it killed the server). */
const KILLER: QuerySpecInput = {
  measures: ['beneficiari', 'importo'],
  rows: ['regione', 'ats', 'comune', 'categoria', 'codice_prestazione', 'fascia_eta', 'genere', 'area_utenza'],
  columns: ['anno', 'trimestre', 'carattere', 'presa_in_carico'],
  totals: true,
  subtotals: true,
  limit: 10,
};
const CHEAP: QuerySpecInput = { measures: ['beneficiari'], rows: ['anno'] };

const estimate = (spec: QuerySpecInput, principal: { id: string; profile: 'nazionale' | 'regionale' | 'ats' | 'comunale'; scope?: string }) =>
  estimateCost(context, secure(planQuery(context.model, 'prestazioni', QuerySpecSchema.parse(spec)), principal, context), principal);

t.test('the estimate counts members per dimension within scope, times grouping sets, and bounds the real answer', async (t) => {
  const [{ r, a }] = await engine.query<{ r: number; a: number }>(`SELECT (SELECT uniqExact(regione) FROM ${T}) r, (SELECT uniqExact(anno) FROM ${P}) a`);
  const [{ n }] = await engine.query<{ n: number }>(`SELECT count() n FROM ${P}`);
  const spec: QuerySpecInput = { measures: ['beneficiari'], rows: ['regione'], columns: ['anno'], totals: true, limit: 100_000 };
  const e = await estimate(spec, nazionale);
  t.same(e.members, { regione: Number(r), anno: Number(a) }, 'members from the territory table and the data');
  t.equal(e.groupingSets, 4, 'detail, row totals, column totals, grand total');
  t.equal(e.scanned, Number(n));
  t.equal(e.rows, Math.min(r * a, n) + r + a + 1);
  const real = await runQuery(context, 'prestazioni', QuerySpecSchema.parse(spec), nazionale);
  t.ok(real.rows.length <= e.rows, `an upper bound: ${real.rows.length} real rows <= ${e.rows}`);

  // A comune sees one regione, one comune and only its own rows.
  const [place] = await engine.query<{ comune: string; rows: number }>(`SELECT comune, count() rows FROM ${P} GROUP BY comune ORDER BY rows DESC, comune LIMIT 1`);
  const comunale = { id: 'test:comunale', profile: 'comunale' as const, scope: place.comune };
  const c = await estimate({ measures: ['beneficiari'], rows: ['regione', 'comune', 'genere'], filters: [{ dimension: 'anno', op: 'in', values: [2022, 2023] }], columns: ['anno'] }, comunale);
  t.same(c.members, { regione: 1, comune: 1, genere: 2, anno: 2 }, 'scope and filters narrow the members');
  t.equal(c.scanned, Number(place.rows), "the comune's own rows");
  t.equal(c.rows, Math.min(1 * 2 * 2, Number(place.rows)), 'regione and comune are one hierarchy: counted once');
});

t.test("the scope statistics of every ATS come from one engine query, and each ATS's estimate counts its own rows only", async (t) => {
  // A fresh model: counts are kept per model and data version.
  const fresh = await createQueryContext(engine, loadModel({ dir: 'cubes' }));
  const sql: string[] = [];
  const counting: Engine = { ...engine, query: (q, params, o) => (sql.push(q), engine.query(q, params, o)) };
  fresh.engine = counting;
  const byAts = await engine.query<{ ats: string; rows: string; anni: string }>(`SELECT ats, count() rows, uniqExact(anno) anni FROM ${P} GROUP BY ats ORDER BY rows DESC, ats LIMIT 3`);
  t.equal(byAts.length, 3);
  const spec = QuerySpecSchema.parse({ measures: ['beneficiari'], rows: ['anno'] });
  for (const { ats, rows, anni } of byAts) {
    const principal = { id: `test:${ats}`, profile: 'ats' as const, scope: ats };
    const e = await estimateCost(fresh, secure(planQuery(fresh.model, 'prestazioni', spec), principal, fresh), principal);
    t.equal(e.scanned, Number(rows), `${ats}: its own ${rows} rows`);
    t.same(e.members, { anno: Number(anni) }, `${ats}: the years in its own rows`);
  }
  t.equal(sql.length, 1, 'one engine query for the three ATS');
  t.match(sql[0], /GROUP BY/);
  // The result cache runs each computation in a copy of the context: the counts are still there.
  const first = { id: 'test:again', profile: 'ats' as const, scope: byAts[0].ats };
  const copy = { ...fresh, cache: undefined };
  t.equal((await estimateCost(copy, secure(planQuery(copy.model, 'prestazioni', spec), first, copy), first)).scanned, Number(byAts[0].rows));
  t.equal(sql.length, 1, 'a copy of the context asks the engine nothing');
});

t.test('the killer query is refused before it runs, with how to narrow it; the server answers the next request', async (t) => {
  const headers = await demo.as({ profile: 'nazionale' });
  const e = await estimate(KILLER, nazionale);
  t.ok(e.rows > 300_000, `estimated ${e.rows} rows over ${e.groupingSets} grouping sets`);
  t.equal(e.groupingSets, 18, '9 row levels x (columns, column total)');
  const res = await post(KILLER, headers);
  t.equal(res.statusCode, 413);
  t.match(res.headers['content-type'], /application\/problem\+json/);
  const problem = res.json();
  t.match(problem, { code: 'QUERY_TOO_LARGE', estimatedRows: Math.round(e.rows), maxRows: 300_000, groupingSets: 18 });
  t.match(problem.detail, /Restringerla: filtrare \(es\. anno, un territorio\), togliere le dimensioni più numerose \(comune/);
  t.match(problem.detail, /totali e subtotali moltiplicano la risposta per 18/);
  const next = await post(CHEAP, headers);
  t.equal(next.statusCode, 200, 'the next query is served');
  t.ok(next.json().rows.length > 0);

  // The same query for one ATS is small enough to run.
  const [{ ats }] = await engine.query<{ ats: string }>(`SELECT ats FROM ${P} GROUP BY ats ORDER BY count() DESC, ats LIMIT 1`);
  const forAts = await post(KILLER, await demo.as({ profile: 'ats', scope: ats }));
  t.equal(forAts.statusCode, 200, 'an ATS runs it');
  t.equal(forAts.json().rows.length, 10);
});

/** The same app over another engine session on the same data, with other limits or a failing transport. */
async function withEngine<T>(other: Engine, run: () => Promise<T>): Promise<T> {
  const original = context.engine;
  context.engine = other;
  try {
    return await run();
  } finally {
    context.engine = original;
  }
}

t.test('a query over the engine limits is cancelled in the engine (413), and the next one is served', async (t) => {
  const strict = await createEngine({ database: 'pas', dataDir: demo.dir, limits: { maxRowsToGroupBy: 1000, maxEstimatedRows: 10_000_000 } });
  t.teardown(() => strict.close());
  const headers = await demo.as({ profile: 'nazionale' });
  await withEngine(strict, async () => {
    const res = await post({ measures: ['beneficiari'], rows: ['comune'], limit: 10 }, headers);
    t.equal(res.statusCode, 413);
    t.match(res.json(), { code: 'QUERY_TOO_LARGE', limit: 'max_rows_to_group_by' });
    t.match(res.json().detail, /più di 1000 gruppi ed è stata interrotta dal motore/);
    t.equal((await post(CHEAP, headers)).statusCode, 200, 'the next query is served');
  });
});

t.test('chdb honours each limit; a limit set for one query does not outlive it', async (t) => {
  const quick = await createEngine({ database: 'pas', dataDir: demo.dir, limits: { maxExecutionTime: 1 } });
  const strict = await createEngine({ database: 'pas', dataDir: demo.dir, limits: { maxExecutionTime: 600, maxMemoryUsage: 64 * 1024 ** 2, maxResultRows: 1000 } });
  t.teardown(async () => {
    await quick.close();
    await strict.close();
  });
  const failure = (e: Engine, sql: string) => e.query(sql, {}, { limited: true }).then(() => undefined, (err) => limitError(err, e.limits));
  t.match(await failure(quick, 'SELECT count() FROM numbers(100000000000) WHERE cityHash64(number) % 7 = 3'), { code: 'QUERY_TIMEOUT', status: 504, extra: { seconds: 1 } }, 'max_execution_time');
  t.match(await failure(strict, 'SELECT length(groupArray(number)) FROM numbers(100000000)'), { code: 'QUERY_TOO_LARGE', status: 413, extra: { limit: 'max_memory_usage' } }, 'max_memory_usage');
  t.match(await failure(strict, 'SELECT number FROM numbers(5000)'), { code: 'QUERY_TOO_LARGE', status: 413, extra: { limit: 'max_result_rows' } }, 'max_result_rows');
  t.equal((await strict.query('SELECT number FROM numbers(5000)')).length, 5000, 'an unlimited statement after a limited one is not limited');
  t.same(await strict.query(`SELECT getSetting('max_result_rows') r, getSetting('max_execution_time') e`), [{ r: 0, e: 0 }]);
});

t.test('an engine that throws answers 503 with Retry-After, and the server recovers without a restart', async (t) => {
  const headers = await demo.as({ profile: 'nazionale' });
  let broken = true;
  const flaky: Engine = {
    ...engine,
    query: (sql, params, o) => (broken && o?.limited ? Promise.reject(new Error('chdb: the in-process engine has stopped')) : engine.query(sql, params, o)),
  };
  await withEngine(flaky, async () => {
    const res = await post(CHEAP, headers);
    t.equal(res.statusCode, 503);
    t.equal(res.headers['retry-after'], '5');
    t.match(res.json(), { code: 'ENGINE_UNAVAILABLE', retryAfter: 5 });
    t.match(res.json().detail, /non è raggiungibile o non risponde \(chdb: the in-process engine has stopped\)\. Riprovare/);
    t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, '/health answers meanwhile');
    t.same(engine.scheduler.stats(), { running: 0, waiting: [] }, 'the failed query gave its slot back');
    broken = false;
    t.equal((await post(CHEAP, headers)).statusCode, 200, 'served again once the engine works');
  });
});

t.test('CLICKHOUSE_URL pointing at nothing: 503, never a hang; served once a server answers on that address', async (t) => {
  // A port that was free a moment ago: nothing listens there.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const remote = await createEngine({ url: `http://127.0.0.1:${port}`, database: 'pas', dataDir: demo.dir });
  t.teardown(() => remote.close());
  const headers = await demo.as({ profile: 'nazionale' });
  await withEngine(remote, async () => {
    const res = await post(CHEAP, headers);
    t.equal(res.statusCode, 503);
    t.match(res.json(), { code: 'ENGINE_UNAVAILABLE' });
    t.match(res.json().detail, /ECONNREFUSED/);
    t.equal(res.headers['retry-after'], '5');

    // The "server" comes back: a stand-in speaking ClickHouse's HTTP interface, answering every query with no rows.
    const queries: string[] = [];
    const fake: Server = createServer((req, resp) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        queries.push(body);
        resp.writeHead(200, { 'Content-Type': 'application/x-ndjson' }).end('');
      });
    });
    await new Promise<void>((r) => fake.listen(port, '127.0.0.1', r));
    t.teardown(() => new Promise((r) => fake.close(r)));
    const again = await post(CHEAP, headers);
    t.equal(again.statusCode, 200, 'served without a restart');
    t.same(again.json().rows, []);
    t.ok(queries.some((q) => /GROUP BY `d_anno`/.test(q)), 'the query went to the server');
  });
});

/** An engine whose data-path queries wait at a gate: the order they reach the engine is recorded. */
function gated(base: Engine) {
  const reached: string[] = [];
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const wrapped: Engine = {
    ...base,
    query: async (sql, params, o) => {
      if (!o?.limited) return base.query(sql, params, o);
      reached.push(/`d_comune`/.test(sql) ? 'heavy' : 'cheap');
      await gate;
      return base.query(sql, params, o);
    },
  };
  return { wrapped, reached, open };
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setImmediate(r));
}

t.test('a cheap query waiting behind heavy ones is served first; one principal runs one query at a time', async (t) => {
  const { wrapped, reached, open } = gated(engine);
  const heavy: QuerySpecInput = { measures: ['beneficiari', 'importo'], rows: ['comune', 'codice_prestazione'], limit: 10 };
  const [{ comune }] = await engine.query<{ comune: string }>(`SELECT comune FROM ${P} GROUP BY comune ORDER BY count() DESC, comune LIMIT 1`);
  const cheapSpec: QuerySpecInput = { measures: ['beneficiari'], rows: ['anno'] };
  await withEngine(wrapped, async () => {
    // Three national users (tokens differ by subject) send heavy queries; the scheduler runs 2 at once, 1 per principal.
    const as = async (subject: string) => ({ authorization: `Bearer ${await mintToken({ secret: TEST_SECRET, profile: 'nazionale', subject, expiresIn: '1h' })}` });
    const alice = await as('alice');
    const responses = [post(heavy, alice), post(heavy, alice), post(heavy, await as('bob')), post(heavy, await as('carol'))];
    await until(() => engine.scheduler.stats().running === 2 && engine.scheduler.stats().waiting.length === 2);
    t.same(reached, ['heavy', 'heavy'], "alice's first and bob's queries run; alice's second waits although she asked before bob");
    const cheap = post(cheapSpec, await demo.as({ profile: 'comunale', scope: comune }));
    await until(() => engine.scheduler.stats().waiting.length === 3);
    const waiting = engine.scheduler.stats().waiting;
    t.ok(waiting[0].cost < waiting[1].cost && waiting[0].cost < waiting[2].cost, 'the comune query is first in line');
    open();
    const all = await Promise.all([...responses, cheap]);
    t.same(all.map((r) => r.statusCode), [200, 200, 200, 200, 200]);
    t.same(reached, ['heavy', 'heavy', 'cheap', 'heavy', 'heavy'], 'the cheap query reached the engine before the heavy ones queued before it');
  });
});

t.test('a client that hangs up while its query waits takes the query with it', async (t) => {
  const { wrapped, reached, open } = gated(engine);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  const headers = { ...(await demo.as({ profile: 'nazionale' })), 'content-type': 'application/json' };
  await withEngine(wrapped, async () => {
    const first = post({ measures: ['beneficiari'], rows: ['comune'], limit: 5 }, headers);
    const other = await demo.as({ profile: 'ats', scope: (await engine.query<{ ats: string }>(`SELECT ats FROM ${T} LIMIT 1`))[0].ats });
    const second = post(CHEAP, other);
    await until(() => engine.scheduler.stats().running === 2);
    // A third caller over a real socket, then it hangs up while waiting.
    const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/v1/cubes/prestazioni/query', headers });
    req.on('error', () => {});
    req.end(JSON.stringify({ measures: ['importo'], rows: ['anno'] }));
    await until(() => engine.scheduler.stats().waiting.length === 1);
    req.destroy();
    await until(() => engine.scheduler.stats().waiting.length === 0);
    open();
    t.same((await Promise.all([first, second])).map((r) => r.statusCode), [200, 200]);
    t.equal(reached.length, 2, 'the abandoned query never reached the engine');
  });
});
