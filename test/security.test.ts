/**
 * Adversarial suite: each profile tries to read outside its scope through
 * filters, members, drill-downs, column dimensions, exports, malformed codes
 * and injection; every attempt gets 4xx or only in-scope data, and the
 * numbers are checked against hand-written SQL.
 */
import t from 'tap';
import { parse } from 'csv-parse/sync';
import { mintToken } from '../server/security/tokens.ts';
import { demoApp, TEST_SECRET } from './helpers/app.ts';
import { protectedTruth } from './helpers/cellkey.ts';

const demo = await demoApp(80_000, 11);
t.teardown(demo.dispose);
const { app, engine } = demo;
const P = engine.table('prestazioni');
type Row = Record<string, unknown>;

// The busiest region, its ATS with most comuni in the data, that ATS's busiest comune; and places outside them.
const [{ regione }] = await engine.query<{ regione: string }>(`SELECT regione FROM ${P} GROUP BY regione ORDER BY count() DESC LIMIT 1`);
const [{ ats }] = await engine.query<{ ats: string }>(`SELECT ats FROM ${P} WHERE regione = {regione:String} GROUP BY ats ORDER BY uniqExact(comune) DESC, ats LIMIT 1`, { regione });
const [{ comune }] = await engine.query<{ comune: string }>(`SELECT comune FROM ${P} WHERE ats = {ats:String} GROUP BY comune ORDER BY count() DESC LIMIT 1`, { ats });
const [{ otherRegione }] = await engine.query<{ otherRegione: string }>(`SELECT regione AS otherRegione FROM ${P} WHERE regione != {regione:String} GROUP BY regione ORDER BY count() DESC LIMIT 1`, { regione });
const [{ otherAts }] = await engine.query<{ otherAts: string }>(`SELECT ats AS otherAts FROM ${P} WHERE regione = {regione:String} AND ats != {ats:String} GROUP BY ats ORDER BY count() DESC LIMIT 1`, { regione, ats });
const [{ otherComune }] = await engine.query<{ otherComune: string }>(`SELECT comune AS otherComune FROM ${engine.table('territorio')} WHERE ats = {ats:String} AND comune != {comune:String} ORDER BY popolazione_comune DESC LIMIT 1`, { ats, comune });
const ente = `C${comune}`;

const users = {
  nazionale: await demo.as({ profile: 'nazionale' }),
  regionale: await demo.as({ profile: 'regionale', scope: regione }),
  ats: await demo.as({ profile: 'ats', scope: ats }),
  comunale: await demo.as({ profile: 'comunale', scope: comune }),
  ente: await demo.as({ profile: 'ente', scope: ente }),
};
const scopeWhere = { regionale: 'regione = {s:String}', ats: 'ats = {s:String}', comunale: 'comune = {s:String}', ente: 'ente = {s:String}' } as const;
const scopeCode = { regionale: regione, ats, comunale: comune, ente } as const;
const rule = demo.model.cubes.get('prestazioni')!.disclosure!;

async function post(headers: Record<string, string>, body: unknown, url = '/v1/cubes/prestazioni/query') {
  return app.inject({ method: 'POST', url, headers, payload: body as object });
}
async function rows(headers: Record<string, string>, body: unknown): Promise<Row[]> {
  const res = await post(headers, body);
  if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`);
  return res.json().rows;
}

t.test('no data without a valid principal', async (t) => {
  const body = { measures: ['beneficiari'] };
  const none = await post({}, body);
  t.equal(none.statusCode, 401);
  t.match(none.json().detail, /Authorization: Bearer/);
  t.equal((await post({ authorization: 'Bearer not.a.jwt' }, body)).statusCode, 401);
  const forged = await mintToken({ secret: 'another-secret-of-at-least-32-characters', profile: 'nazionale', subject: 'x', expiresIn: '1h' });
  const f = await post({ authorization: `Bearer ${forged}` }, body);
  t.equal(f.statusCode, 401);
  t.match(f.json().detail, /firma non valida/);
  const expired = await mintToken({ secret: TEST_SECRET, profile: 'nazionale', subject: 'x', expiresIn: '1s' });
  await new Promise((r) => setTimeout(r, 2100));
  const e = await post({ authorization: `Bearer ${expired}` }, body);
  t.equal(e.statusCode, 401);
  t.match(e.json().detail, /scaduto/);
  const noScope = await mintToken({ secret: TEST_SECRET, profile: 'ats', subject: 'x', expiresIn: '1h' });
  t.equal((await post({ authorization: `Bearer ${noScope}` }, body)).statusCode, 401, 'a territorial token without scope');
  const ghost = await demo.as({ profile: 'ats', scope: 'ATS99999' });
  const g = await post(ghost, body);
  t.equal(g.statusCode, 403, 'a token for a territory that does not exist');
  for (const url of ['/v1/cubes', '/v1/cubes/prestazioni', '/v1/cubes/prestazioni/dimensions/comune/members'])
    t.equal((await app.inject({ method: 'GET', url })).statusCode, 401, `GET ${url} needs a principal`);
});

t.test('API keys: stored hashed, bound to a scope, revocable', async (t) => {
  const { key, entry } = demo.apiKeys.create({ name: 'script', profile: 'ats', scope: ats });
  const stored = JSON.stringify(demo.apiKeys.list());
  t.notOk(stored.includes(key), 'the key itself is not stored');
  const [viaKey] = await rows({ 'x-api-key': key }, { measures: ['beneficiari', 'importo'] });
  const [viaToken] = await rows(users.ats, { measures: ['beneficiari', 'importo'] });
  t.same(viaKey, viaToken, 'an ATS key sees what an ATS token sees');
  t.equal((await post({ 'x-api-key': key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A') }, { measures: ['importo'] })).statusCode, 401);
  t.ok(demo.apiKeys.revoke(entry.id));
  t.equal((await post({ 'x-api-key': key }, { measures: ['importo'] })).statusCode, 401, 'revoked');
});

for (const profile of ['regionale', 'ats', 'comunale', 'ente'] as const) {
  // Protected answers: the hand-written truth goes through the documented cell key method (test/helpers/cellkey.ts).
  const hand = (dims: string[], measures: Parameters<typeof protectedTruth>[2]) =>
    protectedTruth(engine, { table: P, where: scopeWhere[profile], params: { s: scopeCode[profile] }, dims, rule }, measures);

  t.test(`${profile}: totals are exactly its scope, against hand-written SQL`, async (t) => {
    const [api] = await rows(users[profile], { measures: ['beneficiari', 'importo', 'prestazioni'] });
    const truth = (await hand([], { b: { kind: 'persons' }, i: { kind: 'amount', column: 'importo' }, n: { kind: 'records' } })).get('')!;
    t.equal(api.beneficiari, truth.b);
    t.equal(api.prestazioni, truth.n);
    t.ok(Math.abs((api.importo as number) - truth.i) < 0.011);
  });

  t.test(`${profile}: breakdowns by every territory level stay inside the scope`, async (t) => {
    const res = await rows(users[profile], { measures: ['prestazioni'], rows: ['regione', 'ats', 'comune'], limit: 100000 });
    const cells = await hand(['regione', 'ats', 'comune'], { n: { kind: 'records' } });
    t.equal(res.length, cells.size, 'same cells as the scoped hand count');
    t.ok(res.every((r) => cells.get(`${r.regione}|${r.ats}|${r.comune}`)?.n === r.prestazioni), 'no cell outside the scope, each with its figure');
    // As column dimensions too, with totals: the grand total equals the scope's total.
    const cross = await rows(users[profile], { measures: ['prestazioni'], rows: ['anno'], columns: ['comune'], totals: true, limit: 100000 });
    const grand = (await hand([], { n: { kind: 'records' } })).get('')!;
    t.equal(cross.find((r) => r.anno === null && r.comune === null)?.prestazioni, grand.n);
    const comuni = new Set<unknown>((await engine.query<Row>(`SELECT DISTINCT comune FROM ${P} WHERE ${scopeWhere[profile]}`, { s: scopeCode[profile] })).map((h) => h.comune));
    t.ok(cross.every((r) => r.comune === null || comuni.has(r.comune)), 'columns only list in-scope comuni');
  });
}

t.test('an ATS token answers number for number like Nazionale filtered to that ATS', async (t) => {
  const body = { measures: ['beneficiari', 'importo', 'importo_medio', 'quota_popolazione', 'quota_comuni'], rows: ['comune', 'categoria'], totals: true, subtotals: true };
  const scoped = await rows(users.ats, body);
  const national = await rows(users.nazionale, { ...body, filters: [{ dimension: 'ats', op: 'eq', value: ats }] });
  t.same(scoped, national);
  t.ok(scoped.length > 5);
});

t.test('filters naming a territory outside the scope are refused with 403 and say what may be seen', async (t) => {
  const attempts: [keyof typeof users, unknown[]][] = [
    ['regionale', [{ dimension: 'regione', op: 'eq', value: otherRegione }]],
    ['ats', [{ dimension: 'ats', op: 'eq', value: otherAts }]],
    ['ats', [{ dimension: 'comune', op: 'in', values: [comune, otherComune.replace(/\d$/, (d) => d)] }, { dimension: 'regione', op: 'eq', value: otherRegione }]],
    ['comunale', [{ dimension: 'comune', op: 'in', values: [comune, otherComune] }]],
    ['comunale', [{ dimension: 'ats', op: 'eq', value: otherAts }]],
  ];
  for (const [who, filters] of attempts) {
    const res = await post(users[who], { measures: ['beneficiari'], filters });
    t.equal(res.statusCode, 403, `${who} ${JSON.stringify(filters)}`);
    t.match(res.json(), { code: 'FORBIDDEN_SCOPE', detail: /si possono vedere solo i residenti/ });
  }
  // Filtering on the caller's own ancestor is not an escape: it intersects with the scope.
  const [viaAncestor] = await rows(users.comunale, { measures: ['prestazioni'], filters: [{ dimension: 'regione', op: 'eq', value: regione }] });
  const [own] = await rows(users.comunale, { measures: ['prestazioni'] });
  t.same(viaAncestor, own);
  // not_in naming other territories excludes nothing of the scope.
  const [notIn] = await rows(users.ats, { measures: ['prestazioni'], filters: [{ dimension: 'regione', op: 'not_in', values: [otherRegione] }] });
  const [atsOwn] = await rows(users.ats, { measures: ['prestazioni'] });
  t.same(notIn, atsOwn);
});

t.test('malformed, padded, mixed-case and hostile codes get 400, never data', async (t) => {
  const bad = [` ${comune}`, `${comune} `, comune.slice(1), ats.toLowerCase(), `${comune}' OR '1'='1`, `${comune}\\`, "'; DROP TABLE prestazioni; --", '%', ''];
  for (const value of bad) {
    const res = await post(users.ats, { measures: ['beneficiari'], filters: [{ dimension: value === ats.toLowerCase() ? 'ats' : 'comune', op: 'eq', value }] });
    t.equal(res.statusCode, 400, JSON.stringify(value));
    t.notOk('rows' in res.json(), 'no rows in the answer');
  }
  const [{ n }] = await engine.query<{ n: number }>(`SELECT count() n FROM ${P}`);
  t.ok(Number(n) > 0, 'the table is still there');
});

t.test('member lists only list in-scope members', async (t) => {
  const page = async (who: keyof typeof users, dim: string, qs = '') => (await app.inject({ method: 'GET', url: `/v1/cubes/prestazioni/dimensions/${dim}/members?limit=10000${qs}`, headers: users[who] })).json();
  const comuniOfAts = await engine.query<{ comune: string }>(`SELECT comune FROM ${engine.table('territorio')} WHERE ats = {ats:String} ORDER BY comune`, { ats });
  const atsComuni = await page('ats', 'comune');
  t.same(atsComuni.members.map((m: Row) => m.key), comuniOfAts.map((c) => c.comune));
  t.equal(atsComuni.total, comuniOfAts.length);
  t.same((await page('comunale', 'regione')).members.map((m: Row) => m.key), [regione], 'a comune sees only its region above it');
  t.same((await page('comunale', 'comune')).members.map((m: Row) => m.key), [comune]);
  t.equal((await page('ats', 'comune', `&q=${encodeURIComponent('roma')}&parent=${otherAts}`)).total, 0, 'search and parent cannot reach other ATS');
  const regionAts = await page('regionale', 'ats');
  const [{ n }] = await engine.query<{ n: number }>(`SELECT uniqExact(ats) n FROM ${engine.table('territorio')} WHERE regione = {regione:String}`, { regione });
  t.equal(regionAts.total, Number(n));
  t.same((await page('ente', 'ente_erogatore')).members.map((m: Row) => m.key), [ente], 'an ente sees only itself among providers');
  t.ok((await page('nazionale', 'regione')).total >= 21, 'nazionale sees every region and autonomous province');
});

t.test('exports in every format carry only in-scope data', async (t) => {
  const body = { measures: ['prestazioni'], rows: ['comune'], totals: true };
  const csv = await app.inject({ method: 'POST', url: '/v1/cubes/prestazioni/query?format=csv', headers: users.ats, payload: body });
  const grid = parse(csv.body) as string[][];
  const comuni = new Set((await engine.query<{ c: string }>(`SELECT DISTINCT comune c FROM ${P} WHERE ats = {ats:String}`, { ats })).map((r) => r.c));
  t.ok(grid.slice(1).every((r) => r[0] === '' || comuni.has(r[0])), 'CSV rows are comuni of the ATS or the total');
  const ats_ = (await protectedTruth(engine, { table: P, where: 'ats = {ats:String}', params: { ats }, dims: [], rule }, { n: { kind: 'records' } })).get('')!;
  t.equal(Number(grid[grid.length - 1][2]), ats_.n, 'CSV total is the ATS total (published)');
  const xlsx = await app.inject({ method: 'POST', url: '/v1/cubes/prestazioni/query?format=xlsx', headers: users.ats, payload: { ...body, filters: [{ dimension: 'comune', op: 'eq', value: otherComune.slice(0, 3) + '999' }] } });
  t.equal(xlsx.statusCode, 400);
  const forbidden = await app.inject({ method: 'GET', url: `/v1/cubes/prestazioni/query?format=csv&q=${encodeURIComponent(JSON.stringify({ measures: ['importo'], filters: [{ dimension: 'regione', op: 'eq', value: otherRegione }] }))}`, headers: users.regionale });
  t.equal(forbidden.statusCode, 403, 'the GET form goes through the same check');
});

t.test('the Ente erogatore sees what it delivered, wherever beneficiaries live, split by residence', async (t) => {
  const res = await rows(users.ente, { measures: ['beneficiari', 'prestazioni'], rows: ['residenza_beneficiario'] });
  // Published figures: the hand count through the documented cell key method (it once compared the raw count, and passed only while the key happened to perturb it by 0).
  const hand = await protectedTruth(engine, { table: P, where: 'ente = {ente:String}', params: { ente }, dims: ['if(comune = sede_comune, 1, 2)'], rule }, { n: { kind: 'records' } });
  t.equal(res.length, hand.size);
  for (const [k, h] of hand) t.match(res.find((r) => r.residenza_beneficiario === Number(k)), { prestazioni: h.n }, `residenza ${k}`);
  const comuni = await rows(users.ente, { measures: ['prestazioni'], rows: ['comune'] });
  const [{ c }] = await engine.query<{ c: number }>(`SELECT uniqExact(comune) c FROM ${P} WHERE ente = {ente:String}`, { ente });
  t.equal(comuni.length, Number(c), 'residence comuni of its beneficiaries, in and outside its territory');
});

t.test('"sede legale nel territorio / fuori" is relative to the caller', async (t) => {
  const res = await rows(users.ats, { measures: ['prestazioni'], rows: ['sede_ente'] });
  const hand = await protectedTruth(engine, { table: P, where: 'ats = {ats:String}', params: { ats }, dims: ['if(sede_ats = {ats:String}, 1, 2)'], rule }, { n: { kind: 'records' } });
  t.same(
    res.map((r) => [r.sede_ente, r.prestazioni]).sort(),
    [...hand].map(([k, h]) => [Number(k), h.n]).sort(),
  );
  const reg = await rows(users.regionale, { measures: ['prestazioni'], filters: [{ dimension: 'sede_ente', op: 'eq', value: 2 }] });
  const h2 = (await protectedTruth(engine, { table: P, where: 'regione = {r:String} AND sede_regione != {r:String}', params: { r: regione }, dims: [], rule }, { n: { kind: 'records' } })).get('')!;
  t.equal(reg[0].prestazioni, h2.n, 'enti seated outside the region');
});

t.test('benchmarks: ancestor totals without breakdowns (may see aggregate of ancestor level)', async (t) => {
  const byAge = await rows(users.comunale, { measures: ['beneficiari'], rows: ['fascia_eta'], benchmark: 'ats' });
  const band = `multiIf(eta <= 2, '0-2', eta <= 5, '3-5', eta <= 17, '6-17', eta <= 24, '18-24', eta <= 44, '25-44', eta <= 64, '45-64', eta <= 74, '65-74', eta <= 84, '75-84', '85+')`;
  const hand = await protectedTruth(engine, { table: P, where: 'ats = {ats:String}', params: { ats }, dims: [band], rule }, { b: { kind: 'persons' } });
  t.equal(byAge.length, hand.size);
  for (const [k, h] of hand) t.equal(byAge.find((x) => x.fascia_eta === k)?.beneficiari, h.b, `ATS ${k}`);
  const [italy] = await rows(users.comunale, { measures: ['beneficiari'], benchmark: 'italia' });
  const all = (await protectedTruth(engine, { table: P, where: '1', dims: [], rule }, { b: { kind: 'persons' } })).get('')!;
  t.equal(italy.beneficiari, all.b);
  const [region] = await rows(users.ats, { measures: ['prestazioni'], benchmark: 'regione' });
  const hr = (await protectedTruth(engine, { table: P, where: 'regione = {r:String}', params: { r: regione }, dims: [], rule }, { n: { kind: 'records' } })).get('')!;
  t.equal(region.prestazioni, hr.n);
  for (const [who, body] of [
    ['comunale', { measures: ['beneficiari'], rows: ['comune'], benchmark: 'ats' }],
    ['comunale', { measures: ['beneficiari'], columns: ['ats'], benchmark: 'regione' }],
    ['comunale', { measures: ['beneficiari'], filters: [{ dimension: 'comune', op: 'eq', value: otherComune }], benchmark: 'ats' }],
    ['ente', { measures: ['beneficiari'], benchmark: 'italia' }],
  ] as const) {
    const res = await post(users[who], body);
    t.equal(res.statusCode, 403, `${who} ${JSON.stringify(body)}`);
  }
});

t.test('small counts are perturbed for every profile, Nazionale included: never 1 or 2, each cell as the documented method gives it', async (t) => {
  const body = { measures: ['beneficiari', 'importo'], rows: ['comune'], columns: ['codice_prestazione'], totals: true };
  const hand = await protectedTruth(engine, { table: P, where: 'ats = {ats:String}', params: { ats }, dims: ['comune', 'codice_prestazione'], rule }, { b: { kind: 'persons' }, i: { kind: 'amount', column: 'importo' } });
  const [{ small }] = await engine.query<{ small: number }>(`SELECT countIf(b < 3) small FROM (SELECT uniqExact(beneficiario_id) b FROM ${P} WHERE ats = {ats:String} GROUP BY comune, codice_prestazione)`, { ats });
  t.ok(Number(small) > 0, `the fixture has small cells (${small})`);
  for (const who of ['ats', 'nazionale'] as const) {
    const res = (await post(users[who], who === 'nazionale' ? { ...body, filters: [{ dimension: 'ats', op: 'eq', value: ats }] } : body)).json();
    const detail = (res.rows as Row[]).filter((r) => !r.rollup);
    t.equal(detail.length, hand.size, `${who}: the cells published as 0 persons are left out`);
    let bad = 0;
    for (const r of detail) {
      const h = hand.get(`${r.comune}|${r.codice_prestazione}`);
      if (!h || h.b !== r.beneficiari || Math.abs(h.i - (r.importo as number)) > 0.011) bad++;
    }
    t.equal(bad, 0, `${who}: every cell as the hand-computed p-table gives it`);
    t.notOk((res.rows as Row[]).some((r) => r.beneficiari === 1 || r.beneficiari === 2), `${who}: no 1 or 2, totals included`);
    t.match(res.perturbation, { method: 'cell_key', threshold: 3 });
  }
  const csv = await app.inject({ method: 'POST', url: '/v1/cubes/prestazioni/query?format=csv', headers: users.ats, payload: body });
  t.match(csv.headers['x-perturbation'], /method=cell-key; threshold=3/, 'CSV says its figures are perturbed');
});

t.test('every data request leaves one audit line', async (t) => {
  const before = demo.logs.length;
  await rows(users.ats, { measures: ['beneficiari'], rows: ['comune'], filters: [{ dimension: 'anno', op: 'eq', value: 2022 }] });
  const audit = demo.logs.slice(before).filter((l) => l.audit);
  t.equal(audit.length, 1);
  t.match(audit[0].audit, { profile: 'ats', scope: ats, cube: 'prestazioni', filters: [{ dimension: 'anno', op: 'eq', value: 2022 }] });
  t.ok(typeof (audit[0].audit as Row).cells === 'number' && typeof (audit[0].audit as Row).suppressed === 'number');
});
