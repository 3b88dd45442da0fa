/** Declared PAS reports through the API, against hand-written SQL; access by level and scope. */
import t from 'tap';
import ExcelJS from 'exceljs';
import { loadReports } from '../server/reports/load.ts';
import { ModelError } from '../server/model/load.ts';
import { demoApp } from './helpers/app.ts';

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
  const [h] = await engine.query<Row>(`SELECT toFloat64(sum(importo)) i, uniqExact(beneficiario_id) b, uniqExact(comune) c FROM ${P} WHERE ats = {ats:String} AND anno IN (2022, 2023) AND carattere = 1`, { ats });
  const kpi = (m: string) => r.kpis.find((k: Row) => k.measure === m).value;
  t.ok(close(kpi('importo'), Number(h.i)), 'importo');
  t.equal(kpi('beneficiari'), Number(h.b));
  t.ok(close(kpi('importo_medio'), Number(h.i) / Number(h.b)), 'importo medio');
  t.equal(kpi('comuni_con_beneficiari'), Number(h.c));
  const [{ ncom }] = await engine.query<Row>(`SELECT count() ncom FROM ${engine.table('territorio')} WHERE ats = {ats:String}`, { ats });
  t.ok(close(kpi('quota_comuni'), Number(h.c) / Number(ncom)), 'share of the ATS\'s comuni');
  const byAge = r.tables.find((x: Row) => x.name === 'fasce_eta').series[0].result;
  t.equal(byAge.rows.at(-1).rollup.join(), 'fascia_eta', 'with its total');
  t.equal(byAge.rows.at(-1).beneficiari, Number(h.b), 'the table total is the KPI');
  // The same report for a Regione naming that ATS gives the same figures.
  const viaRegion = (await open('regionale', 'quadro_ats', { territorio: ats, filtri: { anno: [2022, 2023], carattere: [1] } })).json();
  t.same(viaRegion.kpis, r.kpis);
});

t.test('Confronto Prestazioni: the table of codes of the seed, against hand-written SQL', async (t) => {
  const r = (await open('comunale', 'confronto_prestazioni')).json();
  const table = r.tables.find((x: Row) => x.name === 'codici').series[0].result;
  const hand = await engine.query<Row>(
    `SELECT codice_prestazione k, toFloat64(sum(importo)) i, uniqExact(beneficiario_id) b, toFloat64(sumIf(importo, presa_in_carico = 1)) / toFloat64(sum(importo)) qi
     FROM ${P} WHERE comune = {c:String} GROUP BY k`, { c: comune });
  for (const h of hand) {
    const row = table.rows.find((x: Row) => x.codice_prestazione === h.k);
    if (row.suppressed) continue;
    t.ok(close(row.importo, Number(h.i)) && row.beneficiari === Number(h.b) && close(row.quota_importo_presa_in_carico, Number(h.qi)), `${h.k}`);
  }
  t.same(table.columns.map((c: Row) => c.name), ['codice_prestazione', 'importo', 'importo_medio', 'beneficiari', 'quota_popolazione', 'quota_importo_presa_in_carico', 'quota_beneficiari_presa_in_carico']);
});

t.test('Confronti Locali: a Comune beside its ATS, Regione and Italy, with no other comune', async (t) => {
  const r = (await open('comunale', 'confronti_locali')).json();
  const series = r.tables.find((x: Row) => x.name === 'indicatori').series;
  t.same(series.map((s: Row) => s.key), ['proprio', 'ats', 'regione', 'italia']);
  for (const [key, where] of [['proprio', 'comune = {c:String}'], ['ats', 'ats = {a:String}'], ['regione', 'regione = {r:String}'], ['italia', '1']] as const) {
    const [h] = await engine.query<Row>(`SELECT uniqExact(beneficiario_id) b FROM ${P} WHERE ${where}`, { c: comune, a: ats, r: regione });
    const row = series.find((s: Row) => s.key === key).result.rows[0];
    // A comune with fewer than 3 beneficiaries is protected even in its own report.
    t.ok(row.suppressed ? Number(h.b) < 3 : row.beneficiari === Number(h.b), `${key}: ${row.beneficiari ?? 'n.d.'} vs ${h.b}`);
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
  const hand = await engine.query<Row>(`SELECT anno, toFloat64(sum(importo)) i FROM ${P} WHERE ats = {a:String} AND trimestre = 1 GROUP BY anno ORDER BY anno`, { a: ats });
  t.same(years.map((y: Row) => y.anno), hand.map((h) => Number(h.anno)));
  t.ok(years.every((y: Row, i: number) => y.suppressed || close(y.importo, Number(hand[i].i))));
});

t.test('access: below the report\'s level refused, territories outside scope refused, filters checked', async (t) => {
  t.equal((await open('regionale', 'quadro_nazionale')).statusCode, 403);
  t.equal((await open('comunale', 'quadro_ats', { territorio: ats })).statusCode, 403);
  t.equal((await open('regionale', 'quadro_ats', { territorio: otherAts })).statusCode, 403);
  t.equal((await open('nazionale', 'quadro_ats')).statusCode, 400, 'a national user must name the ATS');
  t.equal((await open('ats', 'quadro_ats', { filtri: { provincia: ['058'] } })).statusCode, 400);
  t.equal((await open('ats', 'nessuno')).statusCode, 404);
  const ente = (await open('ente', 'quadro_ente')).json();
  const [h] = await engine.query<Row>(`SELECT uniqExact(beneficiario_id) b FROM ${P} WHERE ente = {e:String}`, { e: `C${comune}` });
  const kpi = ente.kpis.find((k: Row) => k.measure === 'beneficiari');
  t.ok(kpi.suppressed ? Number(h.b) < 3 : kpi.value === Number(h.b), `ente: what it delivered (${kpi.value ?? 'n.d.'} vs ${h.b})`);
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
