/** The PON sheet through the API, checked against hand-written SQL on the generated microdata; scope and drill-through. */
import t from 'tap';
import ExcelJS from 'exceljs';
import { demoApp } from './helpers/app.ts';

const demo = await demoApp(5_000, 5);
t.teardown(demo.dispose);
const { app, engine } = demo;
type Row = Record<string, unknown>;
const T = (n: string) => engine.table(n);

// The ATS with most households, and one of another region.
const [{ ats, regione }] = await engine.query<{ ats: string; regione: string }>(
  `SELECT n.ats AS ats, any(t.regione) AS regione FROM ${T('pon_nuclei')} n JOIN ${T('territorio')} t ON t.ats = n.ats GROUP BY n.ats ORDER BY count() DESC, n.ats LIMIT 1`,
);
const [{ otherAts }] = await engine.query<{ otherAts: string }>(`SELECT ats AS otherAts FROM ${T('territorio')} WHERE regione != {r:String} LIMIT 1`, { r: regione });
const [{ comune }] = await engine.query<{ comune: string }>(`SELECT comune FROM ${T('territorio')} WHERE ats = {ats:String} LIMIT 1`, { ats });
const END = '2019-06-30';
const users = {
  ats: await demo.as({ profile: 'ats', scope: ats }),
  regionale: await demo.as({ profile: 'regionale', scope: regione }),
  comunale: await demo.as({ profile: 'comunale', scope: comune }),
  nazionale: await demo.as({ profile: 'nazionale' }),
};
const post = (headers: Record<string, string>, body: unknown, url = '/v1/pon/avviso3/scheda') => app.inject({ method: 'POST', url, headers, payload: body as object });

// Hand-written SQL: who counts, computed by the engine independently of the TypeScript rules.
const HAND = `
  WITH p AS (SELECT dia FROM ${T('pon_progetti')} WHERE ats = {ats:String}),
  signed AS (SELECT nucleo_id, data_sottoscrizione AS firma FROM ${T('pon_nuclei')} WHERE ats = {ats:String} AND firma >= (SELECT dia FROM p) AND firma <= toDate({end:String})),
  status AS (
    SELECT c.componente_id AS id, c.nucleo_id AS nucleo_id, c.genere AS genere, c.destinatario AS destinatario, c.straniero OR c.minoranza AS migrante,
           argMax(k.condizione, k.dal) AS cond, argMax(k.reddito_annuo, k.dal) AS reddito
    FROM ${T('pon_componenti')} c JOIN signed s ON s.nucleo_id = c.nucleo_id JOIN ${T('pon_condizioni')} k ON k.componente_id = c.componente_id
    WHERE k.dal <= s.firma
    GROUP BY id, nucleo_id, genere, destinatario, migrante),
  senza_lavoro AS (
    SELECT nucleo_id FROM status GROUP BY nucleo_id
    HAVING countIf(cond = 'dipendente' AND reddito > 8000 OR cond = 'autonomo' AND reddito > 4800) = 0),
  dest AS (SELECT * FROM status WHERE destinatario AND nucleo_id IN (SELECT nucleo_id FROM senza_lavoro))`;

t.test('the sheet from the API equals hand-written SQL on the same microdata', async (t) => {
  const res = await post(users.ats, { fine_periodo: END });
  t.equal(res.statusCode, 200);
  const s = res.json();
  const p = { ats, end: END };
  const [a] = await engine.query<Row>(`${HAND} SELECT count() n FROM senza_lavoro`, p);
  t.equal(s.tabella_1A.effettivi, Number(a.n), '1A');
  const [b] = await engine.query<Row>(`${HAND} SELECT countIf(genere = 1) m, countIf(genere = 2) f, countIf(migrante) mig FROM dest`, p);
  t.match(s.tabella_1B.totale, { uomini: Number(b.m), donne: Number(b.f) }, '1B by gender');
  t.equal(s.tabella_1B.migranti.totale, Number(b.mig), '1B migrants');
  t.ok(Number(a.n) > 3, `a non-trivial sheet (${a.n} households)`);
  const served = await engine.query<Row>(
    `${HAND} SELECT v.tipo AS tipo, uniqExactIf(d.id, d.genere = 1) m, uniqExactIf(d.id, d.genere = 2) f
     FROM dest d JOIN ${T('pon_servizi')} v ON v.componente_id = d.id
     WHERE v.data_erogazione IS NOT NULL AND v.data_erogazione >= (SELECT dia FROM p) AND v.data_erogazione <= toDate({end:String})
     GROUP BY tipo`, p);
  for (const tipo of [1, 2, 3, 4]) {
    const h = served.find((r) => Number(r.tipo) === tipo) ?? { m: 0, f: 0 };
    t.match(s.tabella_2A.servizi[tipo - 1], { uomini: Number(h.m), donne: Number(h.f) }, `2A type ${tipo}`);
  }
  const sumBands = s.tabella_1B.eta.reduce((x: number, c: Row) => x + (c.totale as number), 0);
  t.equal(sumBands, s.tabella_1B.totale.totale, 'every destinatario in exactly one age band');
  t.notOk(JSON.stringify(s).includes(`N${ats.slice(3)}`), 'no member or household id in the sheet itself');
});

t.test('the .xlsx is laid out like the official sheet and carries the same figures', async (t) => {
  const json = (await post(users.ats, { fine_periodo: END })).json();
  const res = await post(users.ats, { fine_periodo: END }, '/v1/pon/avviso3/scheda?format=xlsx');
  t.match(res.headers['content-type'], /spreadsheetml/);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(res.rawPayload as never);
  const ws = wb.getWorksheet('Scheda monitoraggio fisico')!;
  const rows: unknown[][] = [];
  ws.eachRow((r) => rows.push((r.values as unknown[]).slice(1)));
  const find = (label: string) => rows.find((r) => r[0] === label)!;
  t.ok(rows.some((r) => String(r[0]).startsWith('Tab. 1A')), 'table 1A title');
  t.ok(rows.some((r) => String(r[0]).startsWith('Tab. 2A')), 'table 2A title');
  t.ok(rows.some((r) => r[2] === 'Uomini (a)' && r[3] === 'Donne (b)'), 'men (a) / women (b) columns');
  t.same(find('Nuclei familiari'), ['Nuclei familiari', json.tabella_1A.previsti, json.tabella_1A.effettivi]);
  for (const c of [json.tabella_1B.totale, ...json.tabella_1B.eta, ...json.tabella_1B.istruzione, ...json.tabella_2A.servizi, json.tabella_2A.totale])
    t.same(find(c.label), [c.label, c.totale, c.uomini, c.donne], c.id);
});

t.test('drill-through lists the pseudonymous ids behind a cell, for the ATS only', async (t) => {
  const s = (await post(users.ats, { fine_periodo: END })).json();
  const d = await post(users.ats, { fine_periodo: END, cella: '1B.totale' }, '/v1/pon/avviso3/dettaglio');
  t.equal(d.statusCode, 200);
  const body = d.json();
  t.equal(body.uomini.length, s.tabella_1B.totale.uomini);
  t.equal(body.donne.length, s.tabella_1B.totale.donne);
  const ids = [...body.uomini, ...body.donne];
  const [{ n }] = await engine.query<{ n: number }>(`SELECT count() n FROM ${T('pon_componenti')} WHERE componente_id IN {ids:Array(String)} AND ats = {ats:String} AND destinatario`, { ids, ats });
  t.equal(Number(n), ids.length, 'every id is a destinatario of this ATS');
  const nuclei = (await post(users.ats, { fine_periodo: END, cella: '1A.nuclei' }, '/v1/pon/avviso3/dettaglio')).json();
  t.equal(nuclei.nuclei.length, s.tabella_1A.effettivi);
  t.equal((await post(users.ats, { fine_periodo: END, cella: '9Z.niente' }, '/v1/pon/avviso3/dettaglio')).statusCode, 404);
  t.equal((await post(users.regionale, { ats, fine_periodo: END, cella: '1B.totale' }, '/v1/pon/avviso3/dettaglio')).statusCode, 403, 'a Regione sees the sheet, not the microdata');
});

t.test('scope: an ATS its own sheet, a Regione its ATS, nobody else', async (t) => {
  const own = (await post(users.ats, { fine_periodo: END })).json();
  const viaRegion = (await post(users.regionale, { ats, fine_periodo: END })).json();
  t.same(viaRegion, own, 'the Regione sees the same sheet');
  t.equal((await post(users.ats, { ats: otherAts, fine_periodo: END })).statusCode, 403);
  t.equal((await post(users.regionale, { ats: otherAts, fine_periodo: END })).statusCode, 403);
  t.equal((await post(users.comunale, { fine_periodo: END })).statusCode, 403);
  t.equal((await post(users.nazionale, { fine_periodo: END })).statusCode, 400, 'Nazionale must name the ATS');
  t.equal((await post(users.nazionale, { ats: 'ats99', fine_periodo: END })).statusCode, 400);
  t.equal((await post(users.ats, { fine_periodo: '2016-01-01' })).statusCode, 400, 'a period ending before the DIA');
  t.equal((await post(users.ats, { fine_periodo: '31/12/2018' })).statusCode, 400, 'dates are ISO');
  t.equal((await post({}, { fine_periodo: END })).statusCode, 401);
});

t.test('cumulative: a later period never counts fewer', async (t) => {
  const early = (await post(users.ats, { fine_periodo: '2018-12-31' })).json();
  const late = (await post(users.ats, { fine_periodo: '2020-12-31' })).json();
  t.ok(late.tabella_1A.effettivi >= early.tabella_1A.effettivi);
  t.ok(late.tabella_2A.totale.totale >= early.tabella_2A.totale.totale);
});
