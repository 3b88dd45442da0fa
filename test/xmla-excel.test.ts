/**
 * XMLA requests in the shape Excel for Windows sends them (MS-XMLA / MS-SSAS:
 * the Discover sequence at connection, a PivotTable with two row fields and
 * one column field, a slicer, CUBEVALUE / CUBEMEMBER, DMV queries), replayed
 * through inject(); answers checked against the rowset schemas' required
 * columns and, figure by figure, against REST. Security twins of the REST
 * scope and disclosure tests.
 */
import t, { type Test } from 'tap';
import { demoApp } from './helpers/app.ts';
import { byLocal, cellKey, childElements, childText, coordinates, discoverBody, envelope, executeBody, mddataset, parseXml, restIndex, rowset } from './helpers/xmla.ts';

const demo = await demoApp(40_000, 5);
t.teardown(demo.dispose);
const { app, engine } = demo;
const P = engine.table('prestazioni');
const [{ regione }] = await engine.query<{ regione: string }>(`SELECT regione FROM ${P} GROUP BY regione ORDER BY count() DESC LIMIT 1`);
const [{ otherRegione }] = await engine.query<{ otherRegione: string }>(`SELECT regione AS otherRegione FROM ${P} WHERE regione != {regione:String} GROUP BY regione ORDER BY count() DESC LIMIT 1`, { regione });
const [{ ats }] = await engine.query<{ ats: string }>(`SELECT ats FROM ${P} WHERE regione = {regione:String} GROUP BY ats ORDER BY count() DESC LIMIT 1`, { regione });

const users = {
  nazionale: await demo.as({ profile: 'nazionale' }),
  regionale: await demo.as({ profile: 'regionale', scope: regione }),
  ats: await demo.as({ profile: 'ats', scope: ats }),
};
type Who = keyof typeof users;
const EXCEL_PROPS = { LocaleIdentifier: '1040', Catalog: 'PAS', Format: 'Tabular', Content: 'SchemaData', DbpropMsmdSubqueries: '2', App: 'Microsoft Office', 'Catalog_Rebound': 'x' };

const post = (who: Who, body: string, header = '') =>
  app.inject({ method: 'POST', url: '/xmla', headers: { ...users[who], 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:schemas-microsoft-com:xml-analysis:Discover"' }, payload: envelope(body, header) });
const discover = async (who: Who, type: string, restrictions: Record<string, string> = {}) => {
  const res = await post(who, discoverBody(type, restrictions, EXCEL_PROPS));
  t.equal(res.statusCode, 200, `${type}: ${res.statusCode === 200 ? '' : res.body.slice(0, 400)}`);
  return rowset(parseXml(res.body));
};
const execute = async (who: Who, mdx: string, props: Record<string, string> = { Catalog: 'PAS', Format: 'Multidimensional', AxisFormat: 'TupleFormat' }) => {
  const res = await post(who, executeBody(mdx, props));
  return { res, doc: res.statusCode === 200 ? parseXml(res.body) : undefined };
};
const faultOf = (body: string) => childText(byLocal(parseXml(body), 'Fault')[0], 'faultstring') ?? '';
const rest = async (who: Who, spec: Record<string, unknown>) => {
  const res = await app.inject({ method: 'POST', url: '/v1/cubes/prestazioni/query', headers: users[who], payload: { limit: 100_000, ...spec } });
  t.equal(res.statusCode, 200);
  return { dims: [...((spec.rows as string[]) ?? []), ...((spec.columns as string[]) ?? [])], rows: res.json().rows };
};
const LEVELS = new Map<string, string[]>([['territorio', ['regione', 'ats', 'comune']], ['tempo', ['anno', 'trimestre']], ['genere', ['genere']], ['area_utenza', ['area_utenza']], ['prestazione', ['categoria', 'codice_prestazione']], ['fascia_eta', ['fascia_eta']]]);

/** Every cell of an MDDataSet against REST rows; returns counts. */
function compareCells(t: Test, md: ReturnType<typeof mddataset>, index: Map<string, Record<string, unknown>>, measure?: string) {
  const sizes = md.axes.map((a) => a.length);
  const total = sizes.reduce((n, s) => n * s, 1);
  let values = 0;
  let protectedCells = 0;
  for (let o = 0; o < total; o++) {
    let rest = o;
    const tuple: string[] = [];
    sizes.forEach((n, a) => {
      tuple.push(...md.axes[a][rest % n]);
      rest = Math.floor(rest / n);
    });
    const c = coordinates(tuple, LEVELS);
    const row = index.get(cellKey(c.dims));
    const cell = md.cells.get(o);
    const m = c.measure ?? measure!;
    if (row?.suppressed) {
      protectedCells++;
      t.equal(cell?.value, undefined, `${tuple.join('×')}: protected, no value (never 0)`);
      t.equal(cell?.formatted, 'n.d.');
    } else if (row && row[m] !== null && row[m] !== undefined) {
      values++;
      t.equal(cell?.value, row[m], `${tuple.join('×')} ${m}`);
    } else t.equal(cell, undefined, `${tuple.join('×')}: empty`);
  }
  return { values, protectedCells };
}

t.test('the Discover sequence Excel sends at connection: every rowset answers with its schema and required columns', async (t) => {
  const begin = await post('nazionale', discoverBody('DISCOVER_PROPERTIES', { PropertyName: 'ProviderVersion' }, EXCEL_PROPS), '<BeginSession xmlns="urn:schemas-microsoft-com:xml-analysis" mustUnderstand="1"/>');
  t.equal(begin.statusCode, 200);
  t.match(byLocal(parseXml(begin.body), 'Session')[0]?.getAttribute('SessionId'), /^[0-9a-f-]{36}$/, 'BeginSession gets a session id');
  const sequence: [string, Record<string, string>][] = [
    ['DISCOVER_DATASOURCES', {}],
    ['DISCOVER_PROPERTIES', {}],
    ['DISCOVER_SCHEMA_ROWSETS', {}],
    ['DBSCHEMA_CATALOGS', {}],
    ['DISCOVER_LITERALS', {}],
    ['MDSCHEMA_CUBES', { CATALOG_NAME: 'PAS', CUBE_SOURCE: '1' }],
    ['MDSCHEMA_MEASUREGROUPS', { CATALOG_NAME: 'PAS', CUBE_NAME: 'prestazioni' }],
    ['MDSCHEMA_MEASUREGROUP_DIMENSIONS', { CATALOG_NAME: 'PAS', CUBE_NAME: 'prestazioni' }],
    ['MDSCHEMA_DIMENSIONS', { CATALOG_NAME: 'PAS', CUBE_NAME: 'prestazioni' }],
    ['MDSCHEMA_HIERARCHIES', { CATALOG_NAME: 'PAS', CUBE_NAME: 'prestazioni', HIERARCHY_VISIBILITY: '3' }],
    ['MDSCHEMA_LEVELS', { CATALOG_NAME: 'PAS', CUBE_NAME: 'prestazioni', LEVEL_VISIBILITY: '3' }],
    ['MDSCHEMA_MEASURES', { CATALOG_NAME: 'PAS', CUBE_NAME: 'prestazioni', MEASURE_VISIBILITY: '3' }],
    ['MDSCHEMA_KPIS', { CATALOG_NAME: 'PAS', CUBE_NAME: 'prestazioni' }],
    ['MDSCHEMA_SETS', { CATALOG_NAME: 'PAS', CUBE_NAME: 'prestazioni' }],
    ['MDSCHEMA_PROPERTIES', { CATALOG_NAME: 'PAS', CUBE_NAME: 'prestazioni', PROPERTY_TYPE: '2' }],
    ['MDSCHEMA_MEMBERS', { CATALOG_NAME: 'PAS', CUBE_NAME: 'prestazioni', HIERARCHY_UNIQUE_NAME: '[territorio].[territorio]', LEVEL_UNIQUE_NAME: '[territorio].[territorio].[regione]' }],
  ];
  const answers: Record<string, ReturnType<typeof rowset>> = {};
  for (const [type, r] of sequence) {
    const { rows, schema } = await discover('nazionale', type, r);
    answers[type] = { rows, schema };
    t.ok(schema.size > 0, `${type} carries its row schema`);
    for (const row of rows) for (const [col, required] of schema) if (required) t.ok(col in row, `${type}: required column ${col}`);
    for (const row of rows) for (const col of Object.keys(row)) t.ok(schema.has(col), `${type}: ${col} declared in the schema`);
  }
  t.same(answers.DBSCHEMA_CATALOGS.rows.map((r) => r.CATALOG_NAME), ['PAS']);
  t.ok(answers.DISCOVER_SCHEMA_ROWSETS.rows.some((r) => r.SchemaName === 'MDSCHEMA_MEMBERS'));
  t.ok(answers.MDSCHEMA_CUBES.rows.some((r) => r.CUBE_NAME === 'prestazioni' && r.CUBE_CAPTION === 'Prestazioni sociali (PS-PSA)'));
  const hier = answers.MDSCHEMA_HIERARCHIES.rows;
  t.same(hier.filter((h) => ['[territorio].[territorio]', '[tempo].[tempo]', '[prestazione].[prestazione]'].includes(h.HIERARCHY_UNIQUE_NAME)).map((h) => h.HIERARCHY_CAPTION), ['Territorio', 'Tempo', 'Prestazione']);
  const levels = answers.MDSCHEMA_LEVELS.rows.filter((l) => l.HIERARCHY_UNIQUE_NAME === '[tempo].[tempo]');
  t.same(levels.map((l) => [l.LEVEL_CAPTION, l.LEVEL_TYPE]), [['(All)', '1'], ['Anno', '20'], ['Trimestre', '68']]);
  const importo = answers.MDSCHEMA_MEASURES.rows.find((m) => m.MEASURE_NAME === 'importo')!;
  t.match(importo, { MEASURE_CAPTION: 'Importo erogato', DEFAULT_FORMAT_STRING: '#,##0.00 €', MEASURE_DISPLAY_FOLDER: 'Importi', MEASURE_AGGREGATOR: '1' });
  t.equal(answers.MDSCHEMA_MEASURES.rows.find((m) => m.MEASURE_NAME === 'beneficiari')!.MEASURE_AGGREGATOR, '8', 'distinct count, not additive');
  t.equal(answers.MDSCHEMA_MEASURES.rows.find((m) => m.MEASURE_NAME === 'quota_popolazione')!.DEFAULT_FORMAT_STRING, '0.0%');
  const [{ n }] = await engine.query<{ n: string }>(`SELECT uniqExact(regione) AS n FROM ${engine.table('territorio')}`);
  t.equal(answers.MDSCHEMA_MEMBERS.rows.length, Number(n), 'all regions for the national profile');
});

t.test('a PivotTable with two row fields, a column field and a slicer: MDDataSet structure and every figure as REST', async (t) => {
  // As Excel 2016+ writes it: Hierarchize/DrilldownLevel per field, CrossJoin on rows, the slicer as a sub-select.
  const mdx =
    'SELECT NON EMPTY Hierarchize({DrilldownLevel({[tempo].[tempo].[All]},,,INCLUDE_CALC_MEMBERS)}) DIMENSION PROPERTIES PARENT_UNIQUE_NAME,HIERARCHY_UNIQUE_NAME ON COLUMNS , ' +
    'NON EMPTY CrossJoin(Hierarchize({DrilldownLevel({[territorio].[territorio].[All]},,,INCLUDE_CALC_MEMBERS)}), Hierarchize({DrilldownLevel({[genere].[genere].[All]},,,INCLUDE_CALC_MEMBERS)})) DIMENSION PROPERTIES PARENT_UNIQUE_NAME,HIERARCHY_UNIQUE_NAME ON ROWS  ' +
    'FROM (SELECT ({[area_utenza].[area_utenza].&[1], [area_utenza].[area_utenza].&[3]}) ON COLUMNS  FROM [prestazioni]) WHERE ([Measures].[importo]) CELL PROPERTIES VALUE, FORMAT_STRING, LANGUAGE, BACK_COLOR, FORE_COLOR, FONT_FLAGS, FORMATTED_VALUE';
  const { res, doc } = await execute('nazionale', mdx);
  t.equal(res.statusCode, 200, res.body.slice(0, 500));
  const md = mddataset(doc!);
  t.same(byLocal(doc!, 'AxisInfo').map((a) => a.getAttribute('name')), ['Axis0', 'Axis1', 'SlicerAxis']);
  t.same(byLocal(byLocal(doc!, 'CellInfo')[0], '*').map((e) => e.localName), ['Value', 'FormatString', 'Language', 'FmtValue']);
  const member = byLocal(byLocal(doc!, 'Axes')[0], 'Member')[0];
  t.same(childElements(member).map((e) => e.localName), ['UName', 'Caption', 'LName', 'LNum', 'DisplayInfo', 'PARENT_UNIQUE_NAME', 'HIERARCHY_UNIQUE_NAME'].filter((x) => x !== 'PARENT_UNIQUE_NAME' || childText(member, 'PARENT_UNIQUE_NAME') !== undefined));
  t.equal(md.axes[1][0].join(), '[territorio].[territorio].[All],[genere].[genere].[All]', 'grand total first');
  t.ok(md.slicer.includes('[Measures].[importo]'));
  const filters = [{ dimension: 'area_utenza', op: 'in', values: [1, 3] }];
  const main = { measures: ['importo'], rows: ['regione', 'genere'], columns: ['anno'], filters, totals: true, subtotals: true };
  const index = restIndex([await rest('nazionale', main), await rest('nazionale', { ...main, rows: ['genere'], totals: false, subtotals: false }), await rest('nazionale', { ...main, rows: ['genere'], columns: [], totals: false, subtotals: false })]);
  const { values } = compareCells(t, md, index, 'importo');
  t.ok(values > 50, `${values} figures compared`);
  const first = md.cells.get(0)!;
  t.equal(first.formatString, '#,##0.00 €');
  t.match(first.formatted, /^\d{1,3}(\.\d{3})*,\d{2} €$/, 'Italian formatted value');
  // DisplayInfo tells Excel a member has children and is drilled down.
  const all = byLocal(byLocal(doc!, 'Axes')[0], 'Member').find((m) => childText(m, 'UName') === '[tempo].[tempo].[All]')!;
  t.ok(Number(childText(all, 'DisplayInfo')) & 0x10000, 'All is expanded');
  t.ok((Number(childText(all, 'DisplayInfo')) & 0xffff) > 0, 'All has children');
});

t.test('CUBEVALUE and CUBEMEMBER queries', async (t) => {
  const value = await execute('nazionale', `SELECT {([Measures].[beneficiari],[tempo].[tempo].[anno].&[2023],[territorio].[territorio].[regione].&[${regione}])} ON 0 FROM [prestazioni] CELL PROPERTIES VALUE`);
  t.equal(value.res.statusCode, 200, value.res.body.slice(0, 300));
  const [row] = (await rest('nazionale', { measures: ['beneficiari'], filters: [{ dimension: 'anno', op: 'eq', value: 2023 }, { dimension: 'regione', op: 'eq', value: regione }] })).rows;
  t.equal(mddataset(value.doc!).cells.get(0)?.value, row.beneficiari);
  const [{ n }] = await engine.query<{ n: string }>(`SELECT uniqExact(beneficiario_id) AS n FROM ${P} WHERE anno = 2023 AND regione = {regione:String}`, { regione });
  t.equal(row.beneficiari, Number(n), 'and REST = hand-written SQL');
  const member = await execute('nazionale', `SELECT {[territorio].[territorio].[regione].&[${regione}]} ON 0 FROM [prestazioni] CELL PROPERTIES VALUE`);
  t.equal(byLocal(byLocal(member.doc!, 'Axes')[0], 'Caption')[0].textContent, demo.directory.find('regione', regione)!.name);
});

t.test('DMV queries, Tabular format, drill-through refused, MDX errors name the position', async (t) => {
  const dmv = await execute('nazionale', "SELECT CUBE_NAME, CUBE_CAPTION FROM $system.MDSCHEMA_CUBES WHERE CUBE_NAME = 'prestazioni'");
  t.same(rowset(dmv.doc!).rows, [{ CUBE_NAME: 'prestazioni', CUBE_CAPTION: 'Prestazioni sociali (PS-PSA)' }]);
  const tab = await execute('nazionale', 'SELECT {[Measures].[prestazioni]} ON 0, {[genere].[genere].[genere].Members} ON 1 FROM [prestazioni]', { Catalog: 'PAS', Format: 'Tabular' });
  const rows = rowset(tab.doc!).rows;
  const genders = (await rest('nazionale', { measures: ['prestazioni'], rows: ['genere'] })).rows;
  t.same(rows.map((r) => [r.C0, Number(r.C1)]), genders.map((g: Record<string, unknown>) => [g.genere === 1 ? 'Maschio' : 'Femmina', g.prestazioni]));
  const drill = await execute('nazionale', 'DRILLTHROUGH SELECT {[Measures].[importo]} ON 0 FROM [prestazioni]');
  t.equal(drill.res.statusCode, 500);
  t.match(faultOf(drill.res.body), /drill-through .* non è consentito/);
  const bad = await execute('nazionale', 'SELECT {[Measures].[importo]} ON 0,\n  {[genere].[genere].Members ON 1 FROM [prestazioni]');
  t.match(faultOf(bad.res.body), /riga 2, colonna 30: atteso "}", trovato "ON"/);
  const unknown = await execute('nazionale', 'SELECT {[Measures].[importo]} ON 0 FROM [prestazioni] WHERE ([genere].[genere].&[7])');
  t.match(faultOf(unknown.res.body), /"7" non è un valore di "genere"/);
  const fn = await execute('nazionale', 'SELECT TopCount([genere].[genere].Members, 1) ON 0 FROM [prestazioni]');
  t.match(faultOf(fn.res.body), /riga 1, colonna 8: la funzione TOPCOUNT non è supportata/);
});

t.test('authentication: Basic with an API key as password, Bearer; none is asked for with 401', async (t) => {
  const none = await app.inject({ method: 'POST', url: '/xmla', headers: { 'content-type': 'text/xml' }, payload: envelope(discoverBody('DBSCHEMA_CATALOGS')) });
  t.equal(none.statusCode, 401);
  t.match(none.headers['www-authenticate'], /^Basic realm=/);
  const { key } = demo.apiKeys.create({ name: 'excel', profile: 'regionale', scope: regione });
  const basic = await app.inject({ method: 'POST', url: '/xmla', headers: { 'content-type': 'text/xml', authorization: `Basic ${Buffer.from(`mario.rossi:${key}`).toString('base64')}` }, payload: envelope(discoverBody('MDSCHEMA_MEMBERS', { CUBE_NAME: 'prestazioni', LEVEL_UNIQUE_NAME: '[territorio].[territorio].[regione]' })) });
  t.equal(basic.statusCode, 200);
  t.same(rowset(parseXml(basic.body)).rows.map((r) => r.MEMBER_UNIQUE_NAME), [`[territorio].[territorio].[regione].&[${regione}]`]);
  const wrong = await app.inject({ method: 'POST', url: '/xmla', headers: { 'content-type': 'text/xml', authorization: `Basic ${Buffer.from('x:pas_wrong').toString('base64')}` }, payload: envelope(discoverBody('DBSCHEMA_CATALOGS')) });
  t.equal(wrong.statusCode, 401);
  const admin = demo.apiKeys.create({ name: 'adm', profile: 'admin' });
  const asAdmin = await app.inject({ method: 'POST', url: '/xmla', headers: { 'content-type': 'text/xml', 'x-api-key': admin.key }, payload: envelope(discoverBody('DBSCHEMA_CATALOGS')) });
  t.equal(asAdmin.statusCode, 403);
  t.match(faultOf(asAdmin.body), /ruolo admin/);
});

t.test('security twins: members outside the scope are not listed, out-of-scope slicers are refused', async (t) => {
  const atsLevel = await discover('regionale', 'MDSCHEMA_MEMBERS', { CUBE_NAME: 'prestazioni', LEVEL_UNIQUE_NAME: '[territorio].[territorio].[ats]' });
  const restAts = (await app.inject({ method: 'GET', url: '/v1/cubes/prestazioni/dimensions/ats/members?limit=10000', headers: users.regionale })).json().members;
  t.same(atsLevel.rows.map((r) => r.MEMBER_CAPTION).sort(), restAts.map((m: { label: { it: string } }) => m.label.it).sort());
  t.ok(atsLevel.rows.every((r) => r.MEMBER_UNIQUE_NAME.startsWith(`[territorio].[territorio].[ats].&[${regione}]&`)));
  const comuni = await discover('ats', 'MDSCHEMA_MEMBERS', { CUBE_NAME: 'prestazioni', HIERARCHY_UNIQUE_NAME: '[territorio].[territorio]' });
  t.ok(comuni.rows.every((r) => r.MEMBER_TYPE === '2' || r.MEMBER_UNIQUE_NAME.includes(`&[${regione}]`)), 'the ATS profile lists only its own branch');
  const viaTree = await discover('regionale', 'MDSCHEMA_MEMBERS', { CUBE_NAME: 'prestazioni', MEMBER_UNIQUE_NAME: `[territorio].[territorio].[regione].&[${otherRegione}]`, TREE_OP: '1' });
  t.same(viaTree.rows, [], 'no children of another region');

  const refusals = [
    `SELECT {[Measures].[beneficiari]} ON 0 FROM [prestazioni] WHERE ([territorio].[territorio].[regione].&[${otherRegione}])`,
    `SELECT {[Measures].[beneficiari]} ON 0 FROM (SELECT ({[territorio].[territorio].[regione].&[${otherRegione}]}) ON 0 FROM [prestazioni])`,
  ];
  for (const mdx of refusals) {
    const { res } = await execute('regionale', mdx);
    t.equal(res.statusCode, 500);
    t.match(faultOf(res.body), /fuori dall'ambito del profilo: si possono vedere solo i residenti/, 'same message as REST');
  }
  const axis = await execute('regionale', `SELECT {[territorio].[territorio].[regione].&[${otherRegione}]} ON 0 FROM [prestazioni]`);
  t.match(faultOf(axis.res.body), /non esiste o è fuori dall'ambito/);
});

t.test('security twins: small cells are protected exactly as REST (empty with n.d., never 0)', async (t) => {
  const mdx = 'SELECT NON EMPTY {[fascia_eta].[fascia_eta].[fascia_eta].Members} ON 0, NON EMPTY Hierarchize({DrilldownLevel({[territorio].[territorio].[ats].Members})}) ON 1 FROM [prestazioni] WHERE ([Measures].[beneficiari], [tempo].[tempo].[anno].&[2023])';
  const { res, doc } = await execute('ats', mdx);
  t.equal(res.statusCode, 200, res.body.slice(0, 300));
  const md = mddataset(doc!);
  const index = restIndex([await rest('ats', { measures: ['beneficiari'], rows: ['regione', 'ats', 'comune'], columns: ['fascia_eta'], filters: [{ dimension: 'anno', op: 'eq', value: 2023 }], totals: false, subtotals: true })]);
  const { values, protectedCells } = compareCells(t, md, index, 'beneficiari');
  t.ok(values > 5);
  t.equal(protectedCells, 0, 'the cell key method perturbs instead of hiding: no suppressed cell in REST, none in XMLA');
  t.same([...md.cells.values()].filter((c) => c.value === 1 || c.value === 2), [], 'no published count of 1 or 2, as in REST');
  for (const c of md.cells.values()) t.not(c.value, 0, 'never a published 0 for a protected cell');
});
