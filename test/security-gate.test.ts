/**
 * The adversary's leaks of issue #12, one test each, against numbers: the
 * figure the attacker must not learn is computed with hand-written SQL on the
 * same demo data, and must not appear in the attacker's answer (whatever the
 * status code). Only the HTTP API and the demo helpers are used, so this file
 * runs unchanged against older code (where it fails).
 */
import t from 'tap';
import { SignJWT } from 'jose';
import { demoApp, TEST_SECRET } from './helpers/app.ts';
import { protectedTruth } from './helpers/cellkey.ts';

const demo = await demoApp(80_000, 11);
t.teardown(demo.dispose);
const { app, engine } = demo;
const P = engine.table('prestazioni');
const T = engine.table('territorio');
type Row = Record<string, unknown>;
type Figure = { beneficiari: number; importo: number };

const LAZIO = '12';
const ROMA = '058091';
// An ATS of Lazio that is not Roma's, with data; the ATS where most Comuni deliver services, and one of those Comuni.
const [{ atsLazio }] = await engine.query<{ atsLazio: string }>(
  `SELECT ats AS atsLazio FROM ${P} WHERE regione = {r:String} AND ats != (SELECT ats FROM ${T} WHERE comune = {roma:String}) GROUP BY ats ORDER BY count() DESC LIMIT 1`,
  { r: LAZIO, roma: ROMA },
);
const [{ ats, comune }] = await engine.query<{ ats: string; comune: string }>(
  `SELECT ats, argMax(sede, n) AS comune FROM (SELECT ats, sede_comune AS sede, uniqExact(beneficiario_id) n FROM ${P} WHERE ente_tipo = 'comune' GROUP BY ats, sede HAVING n >= 3)
   GROUP BY ats ORDER BY count() DESC, ats LIMIT 1`,
);

const as = (profile: 'nazionale' | 'regionale' | 'ats' | 'comunale' | 'ente', scope?: string) => demo.as({ profile, scope });
const query = async (headers: Record<string, string>, body: unknown, cube = 'prestazioni') =>
  app.inject({ method: 'POST', url: `/v1/cubes/${cube}/query`, headers, payload: body as object });

/** The published figure of a set of benefit records: by hand, through the documented cell key method (the same cell publishes it on every path). */
async function figure(where: string, params: Record<string, unknown>, table = P): Promise<Figure> {
  const cell = (await protectedTruth(engine, { table, where, params, dims: [], rule: demo.model.cubes.get('prestazioni')!.disclosure! }, { beneficiari: { kind: 'persons' }, importo: { kind: 'amount', column: 'importo' } })).get('');
  return { beneficiari: cell?.beneficiari ?? 0, importo: cell?.importo ?? 0 };
}

/** True when the answer (any status) shows the figure: its beneficiari and its importo in the same row. */
function shows(body: { rows?: Row[] }, f: Figure): boolean {
  return (body.rows ?? []).some((r) => r.beneficiari === f.beneficiari && typeof r.importo === 'number' && Math.abs(r.importo - f.importo) < 0.011);
}

t.test('hole 1a: a benchmark split by cluster does not reveal Roma (alone in Lazio cluster 5)', async (t) => {
  const [{ n }] = await engine.query<{ n: number }>(`SELECT count() n FROM ${T} WHERE regione = {r:String} AND popolazione_comune > 250000`, { r: LAZIO });
  t.equal(Number(n), 1, 'fixture: Roma is the only comune of its cluster in Lazio');
  const roma = await figure('comune = {c:String}', { c: ROMA });
  t.ok(roma.beneficiari > 100, `fixture: Roma has ${roma.beneficiari} beneficiari`);
  const national = (await query(await as('nazionale'), { measures: ['beneficiari', 'importo'], rows: ['comune'], filters: [{ dimension: 'comune', op: 'eq', value: ROMA }] })).json();
  t.ok(shows(national, roma), 'the hand figure is what Nazionale reads for comune 058091');
  for (const [who, scope] of [['ats', atsLazio], ['regionale', LAZIO]] as const) {
    const res = await query(await as(who, scope), { measures: ['beneficiari', 'importo'], rows: ['cluster'], benchmark: who === 'ats' ? 'regione' : 'italia' });
    t.notOk(shows(res.json(), roma), `${who}: Roma's figure is not in the answer (status ${res.statusCode})`);
  }
  const filtered = await query(await as('ats', atsLazio), { measures: ['beneficiari', 'importo'], filters: [{ dimension: 'cluster', op: 'eq', value: '5' }], benchmark: 'regione' });
  t.notOk(shows(filtered.json(), roma), `nor by filtering the cluster (status ${filtered.statusCode})`);
});

t.test('hole 1b: a benchmark split by ente erogatore does not reveal one provider (Comune di Roma)', async (t) => {
  const romaInLazio = await figure('regione = {r:String} AND ente = {e:String}', { r: LAZIO, e: `C${ROMA}` });
  t.ok(romaInLazio.beneficiari > 100);
  const res = await query(await as('ats', atsLazio), { measures: ['beneficiari', 'importo'], rows: ['ente_erogatore'], benchmark: 'regione' });
  t.notOk(shows(res.json(), romaInLazio), `status ${res.statusCode}`);
});

t.test("hole 1c: a Regionale token cannot read another region's Comune through a filter and benchmark italia", async (t) => {
  const milano = await figure('ente = {e:String}', { e: 'C015146' });
  t.ok(milano.beneficiari > 100);
  const res = await query(await as('regionale', LAZIO), { measures: ['beneficiari', 'importo'], filters: [{ dimension: 'ente_erogatore', op: 'eq', value: 'C015146' }], benchmark: 'italia' });
  t.notOk(shows(res.json(), milano), `status ${res.statusCode}`);
});

t.test("hole 1d: a Comunale token with benchmark ats does not see its neighbours' services", async (t) => {
  const neighbours = await engine.query<{ ente: string }>(
    `SELECT ente FROM ${P} WHERE ats = {a:String} AND ente_tipo = 'comune' AND sede_comune != {c:String} GROUP BY ente HAVING uniqExact(beneficiario_id) >= 3 ORDER BY ente`,
    { a: ats, c: comune },
  );
  t.ok(neighbours.length >= 2, `fixture: ${neighbours.length} neighbour comuni deliver services in the ATS`);
  const res = (await query(await as('comunale', comune), { measures: ['beneficiari', 'importo'], rows: ['ente_erogatore'], benchmark: 'ats' })).json();
  for (const { ente } of neighbours) t.notOk(shows(res, await figure('ats = {a:String} AND ente = {e:String}', { a: ats, e: ente })), ente);
  const sede = await query(await as('comunale', comune), { measures: ['beneficiari', 'importo'], rows: ['sede_ente'], benchmark: 'ats' });
  t.equal(sede.statusCode, 403, 'sede_ente (relative to the caller) is territorial too');
});

t.test('hole 2: an Ente erogatore reads no cube of records it did not deliver', async (t) => {
  const dsuRoma = await engine.query<Row>(`SELECT count() n FROM ${engine.table('dsu')} WHERE comune = {c:String}`, { c: ROMA });
  t.ok(Number(dsuRoma[0].n) > 0, 'fixture: ISEE declarations of Roma residents exist');
  for (const [ente, cube, where, params] of [
    [`C${ROMA}`, 'isee', 'comune = {c:String}', { c: ROMA }],
    [`C${ROMA}`, 'sinba', 'comune = {c:String}', { c: ROMA }],
    ['INPS', 'sinba', '1', {}],
    ['INPS', 'isee', '1', {}],
    ['E1201', 'sinba', 'regione = {r:String}', { r: LAZIO }],
  ] as const) {
    const headers = await as('ente', ente);
    const measure = cube === 'isee' ? 'dsu' : 'minori';
    const table = engine.table(cube === 'isee' ? 'dsu' : 'sinba');
    const [hand] = await engine.query<Row>(`SELECT ${cube === 'isee' ? 'count()' : 'uniqExact(beneficiario_id)'} v FROM ${table} WHERE ${where}`, params);
    const res = await query(headers, { measures: [measure] }, cube);
    const values = (res.json().rows ?? []).map((r: Row) => r[measure]);
    t.notOk(values.includes(Number(hand.v)), `${ente} on ${cube}: ${hand.v} not in the answer (status ${res.statusCode})`);
    t.equal(res.statusCode, 403, `${ente} on ${cube}: refused`);
    const members = await app.inject({ method: 'GET', url: `/v1/cubes/${cube}/dimensions/regione/members`, headers });
    t.equal(members.statusCode, 403, `${ente}: no member list of ${cube}`);
    const byRegion = await query(headers, { measures: [measure], rows: ['regione'] }, cube);
    t.equal(byRegion.statusCode, 403, `${ente}: no breakdown of ${cube} by region`);
  }
  const ente = await as('ente', `C${ROMA}`);
  const cubes = (await app.inject({ method: 'GET', url: '/v1/cubes', headers: ente })).json().cubes.map((c: Row) => c.name);
  // Population counts are public reference data (ente: seat), the denominator of quota_popolazione.
  t.same(cubes.sort(), ['popolazione', 'prestazioni', 'sina'], 'the cube list offers the cubes of records it delivered, and the population');
  const reports = (await app.inject({ method: 'GET', url: '/v1/reports', headers: ente })).json().reports as Row[];
  t.ok(reports.length > 0);
  t.notOk(reports.some((r) => ['isee', 'sinba', 'sinba_famiglia', 'sinba_valutazione', 'sinba_vita_quotidiana'].includes(r.name as string)), 'the report catalogue has no ISEE or SINBA report');
  const report = await app.inject({ method: 'POST', url: '/v1/reports/isee', headers: ente, payload: {} });
  t.equal(report.statusCode, 403, 'and opening one is refused');
  // What it did deliver stays readable.
  const own = (await query(ente, { measures: ['beneficiari', 'importo'] })).json();
  t.ok(shows(own, await figure('ente = {e:String}', { e: `C${ROMA}` })), 'its own benefits, to the cent');
});

t.test('hole 3: tokens without exp, from the future, or with a scope on Nazionale get 401', async (t) => {
  const key = new TextEncoder().encode(TEST_SECRET);
  const now = Math.floor(Date.now() / 1000);
  const sign = (claims: Row) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(key);
  for (const [what, claims] of [
    ['no exp', { sub: 'x', profile: 'nazionale', iat: now }],
    ['iat ten years ahead', { sub: 'x', profile: 'nazionale', iat: now + 10 * 365 * 86_400, exp: now + 10 * 365 * 86_400 + 3600 }],
    ['scope on nazionale', { sub: 'x', profile: 'nazionale', scope: '12', iat: now, exp: now + 3600 }],
  ] as const) {
    const res = await query({ authorization: `Bearer ${await sign(claims)}` }, { measures: ['beneficiari'] });
    t.equal(res.statusCode, 401, what);
    t.notOk('rows' in res.json(), `${what}: no rows`);
  }
});
