/**
 * The result cache, for correctness (never for speed): an answer changes
 * right after a load and after a hot reload; two scopes never share an entry
 * while identical secured plans do; N concurrent
 * identical requests reach the engine once (engine calls counted on a wrapped
 * engine); the memory bound holds; ETag / If-None-Match gives 304 without
 * engine work; the warm-up computes the default views, then users hit them.
 */
import t from 'tap';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelRegistry } from '../server/admin/registry.ts';
import { createQueryContext } from '../server/context.ts';
import type { Engine } from '../server/engine/client.ts';
import { answerKey, ResultCache } from '../server/query/cache.ts';
import { estimateCost } from '../server/query/cost.ts';
import { runQuery } from '../server/query/execute.ts';
import { planQuery } from '../server/query/planner.ts';
import { QuerySpecSchema } from '../server/plan/spec.ts';
import { runReport } from '../server/reports/run.ts';
import { warmTasks } from '../server/reports/warm.ts';
import type { Principal } from '../server/security/principal.ts';
import { secure } from '../server/security/gate.ts';
import { preparedEngine } from './helpers/engine.ts';
import { adminApp } from './helpers/admin-app.ts';

const { engine: real, dir, dispose } = await preparedEngine(20_000, 11);

/** The engine with its queries on the data tables counted. */
const calls: string[] = [];
const engine: Engine = {
  ...real,
  query: (sql, params) => {
    // Data queries only: the cost estimate before admission (EXPLAIN ESTIMATE) is not an execution.
    if (/`(prestazioni|sad_test)`/.test(sql) && !/^\s*EXPLAIN/i.test(sql)) calls.push(sql);
    return real.query(sql, params);
  },
};
const engineCalls = async (fn: () => Promise<unknown>) => {
  const before = calls.length;
  await fn();
  return calls.length - before;
};

// Nazionale sees exact figures (DISCLOSURE_NATIONAL_EXEMPT): the hand-counted values below are the truth; other profiles get protected answers.
const { app, registry, cubes, bearer } = await adminApp(t, { engine, dataDir: dir, disposeEngine: dispose, registry: { nationalExemptFromDisclosure: true } });
const admin = await bearer('admin');
const national = await bearer('nazionale');
const NATIONAL: Principal = { id: 't', profile: 'nazionale' };
const spec = (s: unknown) => QuerySpecSchema.parse(s);
const stats = () => registry.cache!.stats();

t.test('an answer changes right after a load: the data version is in the key', async (t) => {
  t.equal((await app.inject({ method: 'POST', url: '/v1/admin/schema', headers: admin })).statusCode, 200);
  const load = (rows: string[]) =>
    app.inject({ method: 'POST', url: '/v1/admin/loads?table=sad_test&separator=%3B', headers: { ...admin, 'content-type': 'text/csv' }, payload: ['anno;utente_id;comune;eta;genere;ore', ...rows].join('\n') + '\n' });
  const ask = () => app.inject({ method: 'POST', url: '/v1/cubes/sad_test/query', headers: national, payload: { measures: ['ore'], rows: ['anno'] } });

  t.equal((await load(['2024;1;058091;80;1;3', '2024;2;058091;81;2;4', '2024;3;058091;82;2;5'])).statusCode, 201);
  const first = await ask();
  t.same(first.json().rows.map((r: { ore: number }) => r.ore), [12]);
  t.equal(await engineCalls(ask), 0, 'the repeat is served from the cache');
  t.same((await ask()).json(), first.json(), 'the same answer');

  const second = await load(['2024;1;058091;80;1;10', '2024;2;058091;81;2;20', '2024;3;058091;82;2;30']);
  t.equal(second.statusCode, 201);
  const after = await ask();
  t.same(after.json().rows.map((r: { ore: number }) => r.ore), [60], 'the new data at once, never the cached 12');
  t.equal(after.json().dataVersion, second.json().id);
});

t.test('an answer changes right after a hot reload: the model is in the key', async (t) => {
  const ask = () => runQuery(registry.context(), 'prestazioni', spec({ measures: ['beneficiari'], rows: ['anno'] }), NATIONAL);
  const before = await ask();
  t.equal(before.columns.find((c) => c.name === 'beneficiari')!.label.it, 'Beneficiari');
  t.equal(await engineCalls(ask), 0, 'cached');
  const file = join(cubes, 'prestazioni.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('label: { it: Beneficiari, en: Beneficiaries }', 'label: { it: Persone beneficiarie, en: Beneficiaries }'));
  t.match(await registry.reload(), { ok: true });
  let after!: Awaited<ReturnType<typeof ask>>;
  t.ok((await engineCalls(async () => (after = await ask()))) > 0, 'computed again on the new model');
  t.equal(after.columns.find((c) => c.name === 'beneficiari')!.label.it, 'Persone beneficiarie');
  t.same(after.rows, before.rows, 'same data, same figures');
});

const territory = await real.query<{ regione: string; a1: string; a2: string }>(
  `SELECT regione, min(ats) AS a1, max(ats) AS a2 FROM ${real.table('territorio')} WHERE regione = '12' GROUP BY regione`,
);
const [{ a1, a2 }] = territory;
const ats = (code: string): Principal => ({ id: `t:${code}`, profile: 'ats', scope: code });

t.test('two scopes never share an entry; identical secured plans do', async (t) => {
  const s = spec({ measures: ['beneficiari', 'importo'], rows: ['categoria'] });
  const ctx = registry.context();
  const keyOf = (p: Principal) => answerKey(ctx, secure(planQuery(ctx.model, 'prestazioni', s), p, ctx));
  t.not(await keyOf(ats(a1)), await keyOf(ats(a2)), 'the scope predicate is in the key');

  const uncached = await createQueryContext(real, ctx.model);
  for (const code of [a1, a2]) {
    let answer!: Awaited<ReturnType<typeof runQuery>>;
    t.ok((await engineCalls(async () => (answer = await runQuery(ctx, 'prestazioni', s, ats(code))))) > 0, `${code}: its own computation`);
    t.same(answer.rows, (await runQuery(uncached, 'prestazioni', s, ats(code))).rows, `${code}: its own figures`);
  }
  const mine = await runQuery(ctx, 'prestazioni', s, ats(a1));
  const theirs = await runQuery(ctx, 'prestazioni', s, ats(a2));
  t.notSame(mine.rows, theirs.rows, 'the two ATS see different figures');

  // A benchmark's engine rows do not depend on the caller (each cell lists its comuni; the gate then takes out the caller's
  // own): the Regione's totals are computed once for every ATS of the region (#15), while each ATS keeps its own answer,
  // checked against its own territory.
  const bench = spec({ measures: ['beneficiari', 'importo'], rows: ['anno'], benchmark: 'regione' });
  const benchKey = (p: Principal) => answerKey(ctx, secure(planQuery(ctx.model, 'prestazioni', bench), p, ctx));
  t.ok((await engineCalls(() => runQuery(ctx, 'prestazioni', bench, ats(a1)))) > 0);
  t.equal(await engineCalls(() => runQuery(ctx, 'prestazioni', bench, { ...ats(a1), id: 'another user' })), 0, 'another user of the same ATS: the same entry');
  t.not(await benchKey(ats(a1)), await benchKey(ats(a2)), 'another ATS of the region: its own answer entry');
  t.equal(await engineCalls(() => runQuery(ctx, 'prestazioni', bench, ats(a2))), 0, 'another ATS of the region: the Regione totals are not computed again');
  t.same((await runQuery(ctx, 'prestazioni', bench, ats(a2))).rows, (await runQuery(uncached, 'prestazioni', bench, ats(a2))).rows, 'and are the figures it gets alone');
});

t.test('a repeated report is the same kept object (one serialisation); another scope or another filter is another report', async (t) => {
  const ctx = registry.context();
  const report = registry.reports().get('prospetto_categoria')!;
  const first = await runReport(ctx, report, { filters: {} }, ats(a1));
  let again!: typeof first;
  t.equal(await engineCalls(async () => (again = await runReport(ctx, report, { filters: {} }, { ...ats(a1), id: 'another user' }))), 0);
  t.equal(again, first, 'the very same object');
  t.ok(Object.isFrozen(again) && Object.isFrozen(again.tables[0].series[0].result.rows), 'frozen, as every kept answer');
  const other = await runReport(ctx, report, { filters: {} }, ats(a2));
  t.not(other, first);
  t.equal(other.territory?.code, a2);
  t.same(other, await runReport(await createQueryContext(real, ctx.model), report, { filters: {} }, ats(a2)), 'the figures it gets without a cache');
  const filtered = await runReport(ctx, report, { filters: { anno: [2022] } }, ats(a1));
  t.not(filtered, first);
  t.notSame(filtered.tables, first.tables, 'another filter, other figures');
});

t.test('N concurrent identical requests reach the engine once', async (t) => {
  const payload = { measures: ['beneficiari', 'importo'], rows: ['regione', 'genere'], totals: true };
  const before = stats();
  let answers: { statusCode: number; body: string }[] = [];
  const n = await engineCalls(async () => {
    answers = await Promise.all(Array.from({ length: 8 }, () => app.inject({ method: 'POST', url: '/v1/cubes/prestazioni/query', headers: national, payload })));
  });
  // One computation (its cost estimate and its query) costs this many engine calls without the cache:
  const uncached = await createQueryContext(engine, registry.context().model);
  const one = await engineCalls(() => runQuery(uncached, 'prestazioni', spec(payload), NATIONAL));
  t.ok(one > 0);
  t.equal(n, one, 'the engine calls of one computation for eight requests');
  t.ok(answers.every((a) => a.statusCode === 200 && a.body === answers[0].body), 'eight identical answers');
  t.same([stats().misses - before.misses, stats().hits - before.hits], [1, 7]);

  const atsHeaders = await bearer('ats', a1);
  const members = () => app.inject({ method: 'GET', url: '/v1/cubes/prestazioni/dimensions/categoria/members', headers: atsHeaders });
  const m1 = await members();
  t.equal(m1.statusCode, 200);
  const before2 = stats();
  t.same((await members()).json(), m1.json(), 'member lists are cached too');
  t.equal(stats().misses, before2.misses);
});

t.test('the memory bound holds', async (t) => {
  const cache = new ResultCache({ maxBytes: 2_000 });
  const value = (i: number) => ({ i, pad: 'x'.repeat(180) });
  for (let i = 0; i < 50; i++) await cache.get(`k${i}`, async () => value(i));
  const s = cache.stats();
  t.ok(s.bytes <= 2_000, `held ${s.bytes} bytes`);
  t.ok(s.entries >= 9 && s.entries < 50, `${s.entries} entries kept`);
  t.notOk(cache.has('k0'), 'the least recently used left first');
  t.ok(cache.has('k49'));
  t.same(await cache.get('big', async () => ({ pad: 'y'.repeat(5_000) })), { pad: 'y'.repeat(5_000) }, 'an answer bigger than the bound is served');
  t.notOk(cache.has('big'), '… and not kept');
  t.ok(cache.stats().bytes <= 2_000);
  await t.rejects(cache.get('fails', async () => Promise.reject(new Error('no'))));
  t.equal(await cache.get('fails', async () => 1), 1, 'a failure is not kept');
});

t.test('a kept answer is deeply frozen: a caller cannot change what the next one is served', async (t) => {
  const cache = new ResultCache();
  const kept = await cache.get('k', async () => ({ rows: [{ n: 1, labels: { a: 'x' } }] }));
  t.throws(() => ((kept.rows[0] as { n: number }).n = 2), TypeError);
  t.throws(() => kept.rows.push({ n: 9, labels: { a: 'y' } }), TypeError);
  t.throws(() => ((kept.rows[0].labels as { a: string }).a = 'z'), TypeError);
  t.same(await cache.get('k', async () => ({ rows: [] })), { rows: [{ n: 1, labels: { a: 'x' } }] }, 'the next caller gets the answer as computed');
});

t.test('ETag by data version and request: 304 on If-None-Match, without engine work', async (t) => {
  const q = encodeURIComponent(JSON.stringify({ measures: ['ore'], rows: ['comune'] }));
  const get = (headers: Record<string, string> = {}) => app.inject({ method: 'GET', url: `/v1/cubes/sad_test/query?format=csv&q=${q}`, headers: { ...national, ...headers } });
  const first = await get();
  t.equal(first.statusCode, 200);
  const etag = String(first.headers.etag);
  t.match(etag, /^W\/"/);
  let again!: Awaited<ReturnType<typeof get>>;
  t.equal(await engineCalls(async () => (again = await get({ 'if-none-match': etag }))), 0);
  t.equal(again.statusCode, 304);
  t.equal(again.body, '');
  t.equal((await get({ 'if-none-match': 'W/"altro"' })).statusCode, 200, 'another tag: the answer');
  const other = await app.inject({ method: 'GET', url: `/v1/cubes/sad_test/query?format=csv&q=${q}`, headers: { ...(await bearer('ats', a1)), 'if-none-match': etag } });
  t.equal(other.statusCode, 200, 'another scope never gets 304 on my tag');
  t.not(other.headers.etag, etag);

  const report = (headers: Record<string, string> = {}) => app.inject({ method: 'POST', url: '/v1/reports/quadro_nazionale', headers: { ...national, ...headers }, payload: {} });
  const r1 = await report();
  t.equal(r1.statusCode, 200);
  t.equal((await report({ 'if-none-match': String(r1.headers.etag) })).statusCode, 304, 'reports too');

  // A load changes the data version: the old tag no longer matches.
  const load = await app.inject({ method: 'POST', url: '/v1/admin/loads?table=sad_test&separator=%3B', headers: { ...admin, 'content-type': 'text/csv' }, payload: 'anno;utente_id;comune;eta;genere;ore\n2024;1;058091;80;1;1\n2024;2;058091;81;2;1\n2024;3;058091;82;2;1\n' });
  t.equal(load.statusCode, 201);
  const fresh = await get({ 'if-none-match': etag });
  t.equal(fresh.statusCode, 200);
  t.not(fresh.headers.etag, etag);
  t.not(fresh.body, first.body, 'the new figures');
});

t.test('status shows hits, misses and size', async (t) => {
  const res = await app.inject({ method: 'GET', url: '/v1/admin/status', headers: admin });
  t.equal(res.statusCode, 200);
  const cache = res.json().cache;
  t.same(cache, { ...stats(), warm: null });
  t.ok(cache.hits > 0 && cache.misses > 0 && cache.entries > 0 && cache.bytes > 0);
});

t.test('warm-up: default views of Italia and each Regione, then users hit them', async (t) => {
  // A model with two reports keeps the test short: Quadro regionale and Confronti locali.
  const small = mkdtempSync(join(tmpdir(), 'pas-cache-warm-'));
  t.teardown(() => rmSync(small, { recursive: true, force: true }));
  cpSync('cubes', small, { recursive: true });
  for (const f of ['confronti_temporali', 'confronto_enti', 'confronto_prestazioni', 'isee', 'isee_prestazioni', 'prospetto_categoria', 'prospetto_codice', 'quadro_ats', 'quadro_comunale', 'quadro_ente', 'quadro_nazionale', 'sina', 'sina_valutazione', 'sinba', 'sinba_famiglia', 'sinba_valutazione', 'sinba_vita_quotidiana'])
    unlinkSync(join(small, 'reports', `${f}.yaml`));
  const warm = await ModelRegistry.open({ dir: small, engine, warm: true });
  t.teardown(() => warm.close());
  const regions = warm.context().directory.all('regione');
  const tasks = warmTasks(warm.snapshot());
  // confronti_locali (level tutti) for Italia, both for each Regione, confronti_locali for one ATS of each Regione.
  t.equal(tasks.length, 1 + regions.length * 3);
  await warm.warmer!.settled();
  t.match(warm.warmer!.progress(), { state: 'done', total: tasks.length, done: tasks.length, failed: 0 });

  const before = warm.cache!.stats();
  const report = warm.reports().get('confronti_locali')!;
  const n = await engineCalls(async () => {
    await runReport(warm.context(), warm.reports().get('quadro_regionale')!, { filters: {} }, { id: 'u', profile: 'regionale', scope: '12' });
    await runReport(warm.context(), report, { filters: {} }, { id: 'u', profile: 'nazionale' });
  });
  t.equal(n, 0, 'a Regione and Italia: all from the warm cache');
  t.equal(warm.cache!.stats().misses, before.misses);
  // The ATS warmed for region 12 (its first by code): another user of it finds its Confronti Locali, benchmarks included, ready.
  t.equal(tasks.filter((x) => x.principal.profile === 'ats' && x.principal.scope === a1).length, 1);
  t.equal(await engineCalls(() => runReport(warm.context(), report, { filters: {} }, { ...ats(a1), id: 'another user' })), 0);

  // The cost statistics of every scope are ready too: the first request of a comune, an ATS or an ente nobody asked for estimates without the engine.
  const ctx = warm.context();
  const last = <T>(xs: readonly T[]) => xs[xs.length - 1];
  const firstTime: Principal[] = [
    { id: 'u', profile: 'comunale', scope: last(ctx.directory.all('comune')).code },
    { id: 'u', profile: 'ats', scope: last(ctx.directory.all('ats')).code },
    { id: 'u', profile: 'ente', scope: last(ctx.directory.allProviders().filter((p) => p.type === 'comune')).code },
  ];
  const years = QuerySpecSchema.parse({ measures: ['beneficiari'], rows: ['anno'] });
  for (const p of firstTime) t.equal(await engineCalls(() => estimateCost(ctx, secure(planQuery(ctx.model, 'prestazioni', years), p, ctx), p)), 0, `${p.profile} ${p.scope}: statistics ready`);

  // The same data and model again: nothing to do; a load would start a new run.
  warm.warmer!.schedule(warm.snapshot());
  await warm.warmer!.settled();
  t.equal(warm.warmer!.progress().done, tasks.length);
});
