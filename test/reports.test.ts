/** Declared PAS reports through the API, against hand-written SQL; access by level and scope. */
import t from 'tap';
import ExcelJS from 'exceljs';
import { loadReports } from '../server/reports/load.ts';
import { ModelError } from '../server/model/load.ts';
import { demoApp } from './helpers/app.ts';
import { protectedTruth, type HandMeasure } from './helpers/cellkey.ts';

const demo = await demoApp(40_000, 8);
t.teardown(demo.dispose);
const { app, engine } = demo;
const P = engine.table('prestazioni');
type Row = Record<string, unknown>;
const [{ ats, regione }] = await engine.query<{ ats: string; regione: string }>(`SELECT ats, any(regione) regione FROM ${P} GROUP BY ats ORDER BY uniqExact(comune) DESC, ats LIMIT 1`);
const [{ comune }] = await engine.query<{ comune: string }>(`SELECT comune FROM ${P} WHERE ats = {ats:String} GROUP BY comune ORDER BY count() DESC LIMIT 1`, { ats });
const [{ otherAts }] = await engine.query<{ otherAts: string }>(`SELECT ats otherAts FROM ${engine.table('territorio')} WHERE regione != {r:String} LIMIT 1`, { r: regione });
const users = {
  nazionale: await demo.as({ profile: 'nazionale' }),
  regionale: await demo.as({ profile: 'regionale', scope: regione }),
  ats: await demo.as({ profile: 'ats', scope: ats }),
  comunale: await demo.as({ profile: 'comunale', scope: comune }),
  ente: await demo.as({ profile: 'ente', scope: `C${comune}` }),
};
const open = (who: keyof typeof users, name: string, body: unknown = {}) => app.inject({ method: 'POST', url: `/v1/reports/${name}`, headers: users[who], payload: body as object });
const close = (a: unknown, b: number) => typeof a === 'number' && Math.abs(a - b) <= Math.max(0.011, Math.abs(b) * 1e-9);
// Protected answers: the hand-written truth through the documented cell key method (test/helpers/cellkey.ts).
const rule = demo.model.cubes.get('prestazioni')!.disclosure!;
const hand = (where: string, params: Record<string, unknown>, dims: string[], measures: Record<string, HandMeasure>) => protectedTruth(engine, { table: P, where, params, dims, rule }, measures);

t.test('the list follows the access matrix and gives filter values in scope', async (t) => {
  const names = async (who: keyof typeof users) => ((await app.inject({ method: 'GET', url: '/v1/reports', headers: users[who] })).json().reports as Row[]).map((r) => r.name);
  t.ok((await names('nazionale')).includes('quadro_nazionale'));
  t.notOk((await names('regionale')).includes('quadro_nazionale'), 'a Regione does not open the national overview');
  t.ok((await names('regionale')).includes('quadro_ats'), 'but opens the ATS overview (for its ATS)');
  t.same((await names('comunale')).filter((n) => (n as string).startsWith('quadro')), ['quadro_comunale', 'quadro_ente']);
  t.notOk((await names('comunale')).includes('confronto_enti'), 'a Comune has no lower level to compare');
  const list = (await app.inject({ method: 'GET', url: '/v1/reports', headers: users.ats })).json().reports as Row[];
  const quadro = list.find((r) => r.name === 'quadro_ats')!;
  const comuneFilter = (quadro.filters as Row[]).find((f) => f.dimension === 'comune')!;
  const [{ n }] = await engine.query<{ n: number }>(`SELECT count() n FROM ${engine.table('territorio')} WHERE ats = {ats:String}`, { ats });
  t.equal(comuneFilter.total, Number(n), 'comune values: only the ATS\'s comuni');
});

t.test('Quadro ATS: indicators against hand-written SQL, with a filter', async (t) => {
  const res = await open('ats', 'quadro_ats', { filtri: { anno: [2022, 2023], carattere: [1] } });
  t.equal(res.statusCode, 200);
  const r = res.json();
  const where = 'ats = {ats:String} AND anno IN (2022, 2023) AND carattere = 1';
  const [h] = await engine.query<Row>(`SELECT uniqExact(comune) c FROM ${P} WHERE ${where}`, { ats });
  const pub = (await hand(where, { ats }, [], { b: { kind: 'persons' }, i: { kind: 'amount', column: 'importo' } })).get('')!;
  const kpi = (m: string) => r.kpis.find((k: Row) => k.measure === m).value;
  t.ok(close(kpi('importo'), pub.i), 'importo');
  t.equal(kpi('beneficiari'), pub.b);
  t.ok(close(kpi('importo_medio'), pub.i / pub.b), 'importo medio');
  t.equal(kpi('comuni_con_beneficiari'), Number(h.c));
  const [{ ncom }] = await engine.query<Row>(`SELECT count() ncom FROM ${engine.table('territorio')} WHERE ats = {ats:String}`, { ats });
  t.ok(close(kpi('quota_comuni'), Number(h.c) / Number(ncom)), 'share of the ATS\'s comuni');
  const byAge = r.tables.find((x: Row) => x.name === 'fasce_eta').series[0].result;
  t.equal(byAge.rows.at(-1).rollup.join(), 'fascia_eta', 'with its total');
  t.equal(byAge.rows.at(-1).beneficiari, pub.b, 'the table total is the KPI (the same cell, the same published value)');
  // The same report for a Regione naming that ATS gives the same figures.
  const viaRegion = (await open('regionale', 'quadro_ats', { territorio: ats, filtri: { anno: [2022, 2023], carattere: [1] } })).json();
  t.same(viaRegion.kpis, r.kpis);
});

t.test('Confronto Prestazioni: the table of codes of the seed, against hand-written SQL', async (t) => {
  const r = (await open('comunale', 'confronto_prestazioni')).json();
  const table = r.tables.find((x: Row) => x.name === 'codici').series[0].result;
  const pub = await hand('comune = {c:String}', { c: comune }, ['codice_prestazione'], { i: { kind: 'amount', column: 'importo' }, b: { kind: 'persons' }, ip: { kind: 'amount', column: 'importo', where: 'presa_in_carico = 1' } });
  t.equal(table.rows.filter((x: Row) => !x.rollup).length, pub.size, 'the codes whose persons are not published as 0');
  for (const [k, h] of pub) {
    const row = table.rows.find((x: Row) => x.codice_prestazione === k);
    t.ok(row && close(row.importo, h.i) && row.beneficiari === h.b && close(row.quota_importo_presa_in_carico, h.ip / h.i), `${k}`);
  }
  t.same(table.columns.map((c: Row) => c.name), ['codice_prestazione', 'importo', 'importo_medio', 'beneficiari', 'quota_popolazione', 'quota_importo_presa_in_carico', 'quota_beneficiari_presa_in_carico']);
});

t.test('Confronti Locali: a Comune beside its ATS, Regione and Italy, with no other comune', async (t) => {
  const r = (await open('comunale', 'confronti_locali')).json();
  const series = r.tables.find((x: Row) => x.name === 'indicatori').series;
  t.same(series.map((s: Row) => s.key), ['proprio', 'ats', 'regione', 'italia']);
  for (const [key, where] of [['proprio', 'comune = {c:String}'], ['ats', 'ats = {a:String}'], ['regione', 'regione = {r:String}'], ['italia', '1']] as const) {
    const h = (await hand(where, { c: comune, a: ats, r: regione }, [], { b: { kind: 'persons' } })).get('');
    const row = series.find((s: Row) => s.key === key).result.rows[0];
    // A comune is protected even in its own report: a cell published as 0 persons has no row.
    t.equal(row?.beneficiari, h?.b, `${key}: ${row?.beneficiari ?? 'assente'} vs ${h?.b ?? 'assente'}`);
  }
  const dims = r.tables.flatMap((x: Row) => (x.series as Row[]).flatMap((s) => ((s.result as Row).columns as Row[]).filter((c) => c.kind === 'dimension').map((c) => c.name)));
  t.notOk(dims.includes('comune') || dims.includes('ats') || dims.includes('regione'), 'no breakdown by territory anywhere');
});

t.test('Confronto Enti compares the level below; Confronti Temporali every year', async (t) => {
  const r = (await open('regionale', 'confronto_enti')).json();
  const rows = r.tables[0].series[0].result.rows.filter((x: Row) => !x.rollup);
  const [{ n }] = await engine.query<{ n: number }>(`SELECT uniqExact(ats) n FROM ${P} WHERE regione = {r:String}`, { r: regione });
  t.equal(rows.length, Number(n), 'one row per ATS of the region');
  const trend = (await open('ats', 'confronti_temporali', { filtri: { trimestre: [1] } })).json();
  const years = trend.tables[0].series[0].result.rows;
  const pub = await hand('ats = {a:String} AND trimestre = 1', { a: ats }, ['anno'], { i: { kind: 'amount', column: 'importo' } });
  t.same(years.map((y: Row) => y.anno), [...pub.keys()].map(Number).sort());
  t.ok(years.every((y: Row) => close(y.importo, pub.get(String(y.anno))!.i)));
});

t.test('access: below the report\'s level refused, territories outside scope refused, filters checked', async (t) => {
  t.equal((await open('regionale', 'quadro_nazionale')).statusCode, 403);
  t.equal((await open('comunale', 'quadro_ats', { territorio: ats })).statusCode, 403);
  t.equal((await open('regionale', 'quadro_ats', { territorio: otherAts })).statusCode, 403);
  t.equal((await open('nazionale', 'quadro_ats')).statusCode, 400, 'a national user must name the ATS');
  t.equal((await open('ats', 'quadro_ats', { filtri: { provincia: ['058'] } })).statusCode, 400);
  t.equal((await open('ats', 'nessuno')).statusCode, 404);
  const ente = (await open('ente', 'quadro_ente')).json();
  const h = (await hand('ente = {e:String}', { e: `C${comune}` }, [], { b: { kind: 'persons' } })).get('');
  const kpi = ente.kpis.find((k: Row) => k.measure === 'beneficiari');
  t.equal(kpi.value, h?.b ?? null, `ente: what it delivered (${kpi.value ?? 'assente'} vs ${h?.b ?? 'assente'})`);
});

t.test('the .xlsx carries indicators, one sheet per table, definitions', async (t) => {
  const res = await app.inject({ method: 'POST', url: '/v1/reports/quadro_ats?format=xlsx', headers: users.ats, payload: {} });
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(res.rawPayload as never);
  const names = wb.worksheets.map((w) => w.name);
  t.equal(names[0], 'Indicatori');
  t.equal(names.at(-1), 'Definizioni');
  t.equal(names.length, 2 + 6, 'one sheet per table');
  const json = (await open('ats', 'quadro_ats')).json();
  const values: unknown[] = [];
  wb.getWorksheet('Indicatori')!.eachRow((r) => values.push(r.getCell(2).value));
  t.ok(values.includes(json.kpis[1].value), 'beneficiari in the indicators sheet');
});

t.test('report files are validated against the cubes with positions', async (t) => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const dir = mkdtempSync('/tmp/pas-reports-');
  writeFileSync(`${dir}/r.yaml`, 'kind: report\nname: r\nlabel: R\nsection: Quadri\nlevel: ats\ncube: prestazioni\nkpis: [importo, benefici]\n');
  try {
    loadReports(dir, demo.model);
    t.fail('should throw');
  } catch (err) {
    t.ok(err instanceof ModelError);
    t.match((err as Error).message, /r\.yaml:7:\d+ \(kpis -> 1\): cube "prestazioni" has no measure "benefici"/);
  }
});
