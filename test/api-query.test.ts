/**
 * The query API against hand-written SQL on the same generated data: every
 * dimension and measure of `prestazioni`, totals, filters, formats, errors.
 */
import t from 'tap';
import { demoApp } from './helpers/app.ts';

// The national profile without small-count suppression (a deployment setting): these tests check the
// figures themselves; suppression and scopes have their own suites.
const demo = await demoApp(60_000, 7, { nationalExemptFromDisclosure: true });
t.teardown(demo.dispose);
const { app, engine } = demo;
const headers = await demo.as({ profile: 'nazionale' });
const P = engine.table('prestazioni');

type Row = Record<string, unknown>;

async function query(body: unknown, format = 'json') {
  const res = await app.inject({ method: 'POST', url: `/v1/cubes/prestazioni/query?format=${format}`, headers, payload: body as object });
  return res;
}
async function rowsOf(body: unknown): Promise<Row[]> {
  const res = await query(body);
  if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`);
  return res.json().rows;
}
function close(t: { ok(value: boolean, message: string): unknown }, actual: unknown, expected: number, msg: string) {
  t.ok(typeof actual === 'number' && Math.abs(actual - expected) <= Math.max(0.011, Math.abs(expected) * 1e-9), `${msg}: ${actual} ≈ ${expected}`);
}

// Independent definitions of the model's computed dimensions, written out by hand.
const HAND_KEYS: Record<string, string> = {
  anno: 'anno',
  trimestre: 'trimestre',
  regione: 'regione',
  ats: 'ats',
  comune: 'comune',
  genere: 'genere',
  categoria: 'categoria',
  codice_prestazione: 'codice_prestazione',
  carattere: 'carattere',
  presa_in_carico: 'presa_in_carico',
  area_utenza: 'area_utenza',
  inps: 'inps',
  ente_erogatore: 'ente',
  tipo_ente: 'ente_tipo',
  fascia_eta: `CASE WHEN eta < 3 THEN '0-2' WHEN eta < 6 THEN '3-5' WHEN eta < 18 THEN '6-17' WHEN eta < 25 THEN '18-24' WHEN eta < 45 THEN '25-44'
                WHEN eta < 65 THEN '45-64' WHEN eta < 75 THEN '65-74' WHEN eta < 85 THEN '75-84' ELSE '85+' END`,
  cluster: `CASE WHEN popolazione_comune <= 5000 THEN '1' WHEN popolazione_comune <= 20000 THEN '2' WHEN popolazione_comune <= 60000 THEN '3'
             WHEN popolazione_comune <= 250000 THEN '4' ELSE '5' END`,
  fascia_isee: `CASE WHEN isee IS NULL THEN 'nd' WHEN isee = 0 THEN '1' WHEN isee <= 3000 THEN '2' WHEN isee <= 6000 THEN '3' WHEN isee <= 9000 THEN '4'
                 WHEN isee <= 12000 THEN '5' WHEN isee <= 15000 THEN '6' WHEN isee <= 20000 THEN '7' ELSE '8' END`,
};

t.test('every dimension, against hand-written SQL', async (t) => {
  for (const [dim, expr] of Object.entries(HAND_KEYS)) {
    const api = await rowsOf({ measures: ['beneficiari', 'importo', 'prestazioni'], rows: [dim], limit: 100000 });
    const hand = await engine.query<Row>(`SELECT toString(${expr}) AS k, uniqExact(beneficiario_id) AS b, toFloat64(sum(importo)) AS i, count() AS n FROM ${P} GROUP BY k`);
    t.equal(api.length, hand.length, `${dim}: same number of members (${hand.length})`);
    const byKey = new Map(hand.map((r) => [String(r.k), r]));
    let mismatches = 0;
    for (const row of api) {
      const h = byKey.get(String(row[dim]));
      if (!h || row.beneficiari !== Number(h.b) || row.prestazioni !== Number(h.n) || Math.abs((row.importo as number) - Number(h.i)) > 0.011) mismatches++;
    }
    t.equal(mismatches, 0, `${dim}: every member's beneficiari, prestazioni and importo match`);
  }
});

t.test('derived measures, against hand-written SQL', async (t) => {
  const api = await rowsOf({
    measures: ['importo_medio', 'quota_popolazione', 'comuni_con_beneficiari', 'quota_comuni', 'quota_importo_presa_in_carico', 'quota_beneficiari_presa_in_carico'],
    rows: ['regione'],
  });
  const hand = await engine.query<Row>(`
    SELECT f.regione AS regione, f.i / f.b AS medio, f.b / p.res AS qpop, f.nc AS nc, f.nc / p.ncom AS qcom, f.ipic / f.i AS qi, f.bpic / f.b AS qb
    FROM (SELECT regione, toFloat64(sum(importo)) i, uniqExact(beneficiario_id) b, uniqExact(comune) nc,
                 toFloat64(sumIf(importo, presa_in_carico = 1)) ipic, uniqExactIf(beneficiario_id, presa_in_carico = 1) bpic
          FROM ${P} GROUP BY regione) f
    JOIN (SELECT regione, sum(residenti) res, uniqExact(comune) ncom FROM ${engine.table('popolazione')} GROUP BY regione) p ON p.regione = f.regione`);
  t.equal(api.length, hand.length);
  for (const h of hand) {
    const row = api.find((r) => r.regione === h.regione)!;
    close(t, row.importo_medio, Number(h.medio), `importo medio ${h.regione}`);
    close(t, row.quota_popolazione, Number(h.qpop), `quota popolazione ${h.regione}`);
    t.equal(row.comuni_con_beneficiari, Number(h.nc), `comuni con beneficiari ${h.regione}`);
    close(t, row.quota_comuni, Number(h.qcom), `quota comuni ${h.regione}`);
    close(t, row.quota_importo_presa_in_carico, Number(h.qi), `quota importo presa in carico ${h.regione}`);
    close(t, row.quota_beneficiari_presa_in_carico, Number(h.qb), `quota beneficiari presa in carico ${h.regione}`);
  }
});

t.test('quota_popolazione uses the population of the same age band and gender', async (t) => {
  const api = await rowsOf({ measures: ['quota_popolazione'], rows: ['fascia_eta', 'genere'], filters: [{ dimension: 'regione', op: 'eq', value: '12' }] });
  const hand = await engine.query<Row>(`
    SELECT f.k AS k, f.g AS g, f.b / p.res AS q FROM
      (SELECT ${HAND_KEYS.fascia_eta} AS k, genere AS g, uniqExact(beneficiario_id) b FROM ${P} WHERE regione = '12' GROUP BY k, g) f
    JOIN (SELECT ${HAND_KEYS.fascia_eta} AS k, genere AS g, sum(residenti) res FROM ${engine.table('popolazione')} WHERE regione = '12' GROUP BY k, g) p
      ON p.k = f.k AND p.g = f.g`);
  t.equal(api.length, hand.length);
  for (const h of hand) close(t, api.find((r) => r.fascia_eta === h.k && r.genere === Number(h.g))?.quota_popolazione, Number(h.q), `${h.k} ${h.g}`);
});

t.test('subtotals and totals come from the engine: beneficiari are not added up', async (t) => {
  const rows = await rowsOf({ measures: ['beneficiari', 'importo'], rows: ['regione', 'categoria'], totals: true, subtotals: true });
  const byRegion = await engine.query<Row>(`SELECT regione, uniqExact(beneficiario_id) b, toFloat64(sum(importo)) i FROM ${P} GROUP BY regione`);
  const [grand] = await engine.query<Row>(`SELECT uniqExact(beneficiario_id) b, toFloat64(sum(importo)) i FROM ${P}`);
  let differs = 0;
  for (const h of byRegion) {
    const sub = rows.find((r) => r.regione === h.regione && r.categoria === null)!;
    t.same(sub.rollup, ['categoria']);
    t.equal(sub.beneficiari, Number(h.b), `subtotal beneficiari ${h.regione}`);
    close(t, sub.importo, Number(h.i), `subtotal importo ${h.regione}`);
    const details = rows.filter((r) => r.regione === h.regione && r.categoria !== null);
    const sumOfRows = details.reduce((s, r) => s + (r.beneficiari as number), 0);
    if (sumOfRows !== sub.beneficiari) differs++;
    close(t, details.reduce((s, r) => s + (r.importo as number), 0), sub.importo as number, `importo is additive in ${h.regione}`);
  }
  t.ok(differs > 0, `in ${differs} regions the subtotal of beneficiari differs from the sum of its rows (people with benefits in several categories)`);
  const total = rows[rows.length - 1];
  t.same(total.rollup, ['regione', 'categoria'], 'grand total last');
  t.equal(total.beneficiari, Number(grand.b));
  // Subtotals follow their group, the total comes last.
  const firstRegion = rows[0].regione;
  const lastOfFirst = rows.filter((r) => r.regione === firstRegion).pop()!;
  t.same(lastOfFirst.rollup, ['categoria']);
});

t.test('crosstab totals: row totals, column totals, grand total', async (t) => {
  const rows = await rowsOf({ measures: ['beneficiari'], rows: ['genere'], columns: ['anno'], totals: true });
  const hand = await engine.query<Row>(`SELECT genere, anno, uniqExact(beneficiario_id) b FROM ${P} GROUP BY GROUPING SETS ((genere, anno), (genere), (anno), ()) SETTINGS group_by_use_nulls = 1`);
  t.equal(rows.length, hand.length);
  for (const h of hand) {
    const g = h.genere === null ? null : Number(h.genere);
    const a = h.anno === null ? null : Number(h.anno);
    t.equal(rows.find((r) => r.genere === g && r.anno === a)?.beneficiari, Number(h.b), `genere ${g} anno ${a}`);
  }
});

t.test('filters: eq, in, not_in, between, gte, lte', async (t) => {
  const cases: [unknown[], string][] = [
    [[{ dimension: 'anno', op: 'in', values: [2021, 2023] }], 'anno IN (2021, 2023)'],
    [[{ dimension: 'area_utenza', op: 'not_in', values: [0] }], 'area_utenza != 0'],
    [[{ dimension: 'anno', op: 'between', values: [2020, 2022] }], 'anno BETWEEN 2020 AND 2022'],
    [[{ dimension: 'fascia_eta', op: 'gte', value: '65-74' }], 'eta >= 65'],
    [[{ dimension: 'fascia_isee', op: 'lte', value: '2' }], 'isee IS NOT NULL AND isee <= 3000'],
    [[{ dimension: 'categoria', op: 'eq', value: 'A1' }, { dimension: 'genere', op: 'eq', value: 2 }], "categoria = 'A1' AND genere = 2"],
    [[{ dimension: 'cluster', op: 'in', values: ['4', '5'] }], 'popolazione_comune > 60000'],
  ];
  for (const [filters, where] of cases) {
    const [api] = await rowsOf({ measures: ['beneficiari', 'importo'], filters });
    const [hand] = await engine.query<Row>(`SELECT uniqExact(beneficiario_id) b, toFloat64(sum(importo)) i FROM ${P} WHERE ${where}`);
    t.equal(api.beneficiari, Number(hand.b), `beneficiari where ${where}`);
    close(t, api.importo, Number(hand.i), `importo where ${where}`);
  }
});

t.test('order, limit, offset, truncation', async (t) => {
  const all = await rowsOf({ measures: ['importo'], rows: ['regione'], order: [{ by: 'importo', direction: 'desc' }] });
  const sorted = [...all].sort((a, b) => (b.importo as number) - (a.importo as number));
  t.same(all.map((r) => r.regione), sorted.map((r) => r.regione));
  const res = await query({ measures: ['importo'], rows: ['regione'], order: [{ by: 'importo', direction: 'desc' }], limit: 3, offset: 2 });
  const body = res.json();
  t.same(body.rows.map((r: Row) => r.regione), all.slice(2, 5).map((r) => r.regione));
  t.equal(body.truncated, true);
  const byRatio = await rowsOf({ measures: ['quota_popolazione'], rows: ['regione'], order: [{ by: 'quota_popolazione', direction: 'desc' }], limit: 5 });
  const ratios = byRatio.map((r) => r.quota_popolazione as number);
  t.same(ratios, [...ratios].sort((a, b) => b - a), 'ordering by a cross-cube ratio');
  t.equal(byRatio.length, 5);
});

t.test('labels are given alongside the keys', async (t) => {
  const res = await query({ measures: ['beneficiari'], rows: ['regione', 'fascia_eta'], filters: [{ dimension: 'regione', op: 'in', values: ['21', '22'] }] });
  const body = res.json();
  t.equal(body.labels.regione['22'].it, 'Provincia Autonoma di Trento');
  t.equal(body.labels.fascia_eta['85+'].it, '85 anni e oltre');
  t.match(body.filters[0], /Regione \/ Provincia autonoma: .*Bolzano.*Trento/);
  t.same(body.columns.map((c: Row) => [c.name, c.kind]), [['regione', 'dimension'], ['fascia_eta', 'dimension'], ['beneficiari', 'measure']]);
  t.match(body.columns[2].definition, /persone distinte/);
  t.equal(body.demo, true);
  t.match(body.dataDate, /^\d{4}-\d{2}-\d{2}/);
});

t.test('GET with the query in the URL answers like POST', async (t) => {
  const spec = { measures: ['beneficiari'], rows: ['anno'] };
  const post = await rowsOf(spec);
  const res = await app.inject({ method: 'GET', url: `/v1/cubes/prestazioni/query?q=${encodeURIComponent(JSON.stringify(spec))}`, headers });
  t.equal(res.statusCode, 200);
  t.same(res.json().rows, post);
  const bad = await app.inject({ method: 'GET', url: `/v1/cubes/prestazioni/query?q=${encodeURIComponent('{not json')}`, headers });
  t.equal(bad.statusCode, 400);
  t.match(bad.json().detail, /non è JSON valido/);
});

t.test('errors are problem+json with an actionable message', async (t) => {
  const cases: [unknown, number, string, RegExp][] = [
    [{ measures: ['beneficiari'], rows: ['provincia'] }, 400, 'UNKNOWN_DIMENSION', /Dimensioni: anno, trimestre/],
    [{ measures: ['benficiari'] }, 400, 'UNKNOWN_MEASURE', /Misure: importo, beneficiari/],
    [{ measures: ['beneficiari'], filters: [{ dimension: 'genere', op: 'eq', value: 3 }] }, 400, 'UNKNOWN_MEMBER', /Valori ammessi: 1, 2/],
    [{ measures: [] }, 400, 'INVALID_REQUEST', /measures/],
    [{ measures: ['beneficiari'], filters: [{ dimension: 'anno', op: 'like', value: 1 }] }, 400, 'INVALID_REQUEST', /filters/],
  ];
  for (const [body, status, code, detail] of cases) {
    const res = await query(body);
    t.equal(res.statusCode, status, code);
    t.match(res.headers['content-type'], /application\/problem\+json/);
    t.match(res.json(), { status, code, detail });
  }
  const unknownCube = await app.inject({ method: 'POST', url: '/v1/cubes/nessuno/query', headers, payload: { measures: ['x'] } });
  t.equal(unknownCube.statusCode, 404);
  t.match(unknownCube.json().detail, /Cubi disponibili: isee, popolazione, prestazioni, sina, sinba\./);
  const badFormat = await app.inject({ method: 'POST', url: '/v1/cubes/prestazioni/query', headers: { ...headers, accept: 'application/pdf' }, payload: { measures: ['importo'] } });
  t.equal(badFormat.statusCode, 406);
  const malformed = await app.inject({ method: 'POST', url: '/v1/cubes/prestazioni/query', headers: { ...headers, 'content-type': 'application/json' }, payload: '{"measures": [' });
  t.equal(malformed.statusCode, 400);
  t.match(malformed.headers['content-type'], /problem\+json/);
});

t.test('cube list and description carry labels, definitions and additivity', async (t) => {
  const list = (await app.inject({ method: 'GET', url: '/v1/cubes', headers })).json();
  t.same(list.cubes.map((c: Row) => c.name), ['isee', 'popolazione', 'prestazioni', 'sina', 'sinba']);
  const cube = (await app.inject({ method: 'GET', url: '/v1/cubes/prestazioni', headers })).json();
  const measure = (n: string) => cube.measures.find((m: Row) => m.name === n);
  t.match(measure('beneficiari'), { additive: false, type: 'count_distinct', format: 'integer', definition: /persone distinte/ });
  t.match(measure('importo'), { additive: true, format: 'euro' });
  t.match(measure('quota_popolazione'), { additive: false, format: 'percent' });
  const dim = (n: string) => cube.dimensions.find((d: Row) => d.name === n);
  t.match(dim('ats'), { hierarchy: { name: 'territorio', level: 1 }, members: 'table', provenance: 'plausibile' });
  t.same(dim('fascia_isee').bands.map((b: Row) => b.key), ['1', '2', '3', '4', '5', '6', '7', '8']);
  t.same(cube.hierarchies, [
    { name: 'territorio', label: { it: 'Territorio', en: 'Territory' }, levels: ['regione', 'ats', 'comune'] },
    { name: 'tempo', label: { it: 'Tempo', en: 'Time' }, levels: ['anno', 'trimestre'] },
    { name: 'prestazione', label: { it: 'Prestazione', en: 'Benefit' }, levels: ['categoria', 'codice_prestazione'] },
  ]);
  t.equal(cube.demo, true);
});

t.test('members: search, parent, paging, against the reference table', async (t) => {
  const get = async (qs: string) => (await app.inject({ method: 'GET', url: `/v1/cubes/prestazioni/dimensions/comune/members?${qs}`, headers })).json();
  const roma = await get('q=roma');
  const hand = await engine.query<Row>(`SELECT comune, any(comune_nome) n FROM ${engine.table('territorio')} WHERE positionCaseInsensitiveUTF8(comune_nome, 'roma') > 0 OR startsWith(comune, 'roma') GROUP BY comune ORDER BY comune`);
  t.equal(roma.total, hand.length);
  t.ok(roma.members.some((m: Row) => m.key === '058091' && (m.label as Row).it === 'Roma'));
  const [{ ats: firstAts, n }] = await engine.query<Row>(`SELECT ats, count() n FROM ${engine.table('territorio')} GROUP BY ats ORDER BY n DESC LIMIT 1`);
  const page1 = await get(`parent=${firstAts}&limit=5`);
  const page2 = await get(`parent=${firstAts}&limit=5&offset=5`);
  t.equal(page1.total, Number(n));
  t.equal(page1.members.length, 5);
  t.notOk(page1.members.some((m: Row) => page2.members.some((x: Row) => x.key === m.key)), 'pages do not overlap');
  t.ok(page1.members.every((m: Row) => m.parent === firstAts));
  const bands = (await app.inject({ method: 'GET', url: '/v1/cubes/prestazioni/dimensions/fascia_eta/members', headers })).json();
  t.equal(bands.members[0].key, '0-2');
  const years = (await app.inject({ method: 'GET', url: '/v1/cubes/prestazioni/dimensions/anno/members', headers })).json();
  t.same(years.members.map((m: Row) => m.key), [2019, 2020, 2021, 2022, 2023]);
  const bad = await app.inject({ method: 'GET', url: '/v1/cubes/prestazioni/dimensions/provincia/members', headers });
  t.equal(bad.statusCode, 400);
});

t.test('OpenAPI documents every endpoint with working examples', async (t) => {
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  t.equal(doc.openapi, '3.1.0');
  for (const path of ['/v1/cubes', '/v1/cubes/{cube}', '/v1/cubes/{cube}/dimensions/{dimension}/members', '/v1/cubes/{cube}/query']) t.ok(doc.paths[path], path);
  const post = doc.paths['/v1/cubes/{cube}/query'].post;
  const example = post.requestBody.content['application/json'].schema.example;
  t.same(example.measures, ['beneficiari', 'importo'], 'the query example of the contract');
  const res = await app.inject({ method: 'POST', url: '/v1/cubes/prestazioni/query', headers, payload: example });
  t.equal(res.statusCode, 200, 'the documented example works against the demo data');
  t.ok(doc.components.securitySchemes.bearer && doc.components.securitySchemes.apiKey);
  const docs = await app.inject({ method: 'GET', url: '/docs/' });
  t.equal(docs.statusCode, 200);
  t.match(docs.body, /swagger/i);
});
