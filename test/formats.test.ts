/**
 * Crosstab layout on hand-built answers; CSV and XLSX parsed back carry
 * exactly the JSON answer's numbers, in the documented places; and the same
 * against the real API.
 */
import t from 'tap';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { toCrosstab } from '../server/present/crosstab.ts';
import type { Cell, QueryResult, ResultColumn, ResultRow } from '../server/plan/result.ts';
import { csvHeader, toCsv } from '../server/formats/csv.ts';
import { answerHeaders } from '../server/formats/headers.ts';
import { toXlsx } from '../server/formats/xlsx.ts';
import { demoApp } from './helpers/app.ts';

type Asserts = Pick<typeof t, 'equal' | 'fail'>;

const dim = (name: string, axis: 'rows' | 'columns', it: string, en?: string, type: 'integer' | 'string' = 'integer'): ResultColumn =>
  ({ name, kind: 'dimension', axis, label: { it, ...(en ? { en } : {}) }, format: 'text', type, definition: `Definizione di ${it}` });

/** genere × anno with totals, a suppressed cell, labels with quotes, commas, newlines and accents. */
const small: QueryResult = {
  cube: 'prova',
  cubeLabel: { it: 'Prova "cubo", con virgole', en: 'Test' },
  columns: [
    dim('genere', 'rows', 'Genere'),
    dim('anno', 'columns', 'Anno'),
    { name: 'beneficiari', kind: 'measure', label: { it: 'Beneficiari' }, format: 'integer', definition: 'persone distinte' },
    { name: 'importo', kind: 'measure', label: { it: 'Importo' }, format: 'euro', definition: 'somma' },
  ],
  rows: [
    { genere: 1, anno: 2022, beneficiari: 10, importo: 100.5 },
    { genere: 1, anno: 2023, beneficiari: null, importo: null, suppressed: 'primary' },
    { genere: 1, anno: null, beneficiari: 11, importo: 130.25, rollup: ['anno'] },
    { genere: 2, anno: 2023, beneficiari: 7, importo: 70 },
    { genere: 2, anno: null, beneficiari: 7, importo: 70, rollup: ['anno'] },
    { genere: null, anno: 2022, beneficiari: 10, importo: 100.5, rollup: ['genere'] },
    { genere: null, anno: 2023, beneficiari: 9, importo: 99.75, rollup: ['genere'] },
    { genere: null, anno: null, beneficiari: 18, importo: 200.25, rollup: ['genere', 'anno'] },
  ],
  labels: { genere: { '1': { it: 'Maschio, "M"' }, '2': { it: 'Femmina\nè' } }, anno: { '2022': { it: '2022' }, '2023': { it: '2023' } } },
  filters: ['Regione: Lazio'],
  dataDate: '2026-01-02T03:04:05.000Z', dataVersion: 'L1',
  demo: true,
  truncated: false,
  suppression: { threshold: 3, primary: 1, secondary: 0 },
};

/**
 * regione × genere down, anno × servizio across, four measures of the four
 * formats; rows in the engine's order (details first, then the rollups); a
 * member without key (genere null, not rolled up); undefined ratios.
 */
const rolledUp = (r: Record<string, Cell>, rollup: string[]): ResultRow => ({ ...r, ...Object.fromEntries(rollup.map((d) => [d, null])), rollup });
const big: QueryResult = {
  cube: 'prestazioni',
  cubeLabel: { it: 'Prestazioni sociali', en: 'Social benefits' },
  columns: [
    dim('regione', 'rows', 'Regione', 'Region', 'string'),
    dim('genere', 'rows', 'Genere', 'Sex'),
    dim('anno', 'columns', 'Anno', 'Year'),
    dim('servizio', 'columns', 'Servizio', 'Service', 'string'),
    { name: 'beneficiari', kind: 'measure', label: { it: 'Beneficiari', en: 'Beneficiaries' }, format: 'integer', definition: 'Persone distinte', additive: false },
    { name: 'importo', kind: 'measure', label: { it: 'Importo erogato', en: 'Amount' }, format: 'euro', definition: 'Somma degli importi, in euro' },
    { name: 'quota', kind: 'measure', label: { it: 'Quota sulla popolazione' }, format: 'percent', definition: 'Beneficiari / residenti' },
    { name: 'media', kind: 'measure', label: { it: 'Importo medio' }, format: 'decimal', definition: 'Importo / beneficiari' },
  ],
  rows: [
    { regione: '12', genere: 2, anno: 2023, servizio: 'SAD', beneficiari: 1234567, importo: 9876543.21, quota: 0.1234, media: 8.0 },
    { regione: '12', genere: null, anno: 2023, servizio: 'SAD', beneficiari: 5, importo: 50, quota: null, media: 10 },
    { regione: '01', genere: 1, anno: 2023, servizio: 'SAD', beneficiari: 3, importo: 30.1, quota: 0.5, media: 10.033333333333333 },
    { regione: '01', genere: 1, anno: 2022, servizio: 'ADI', beneficiari: 4, importo: 0, quota: 0, media: 0 },
    { regione: '01', genere: 2, anno: 2022, servizio: 'ADI', beneficiari: 6, importo: 60, quota: null, media: null },
    rolledUp({ regione: '12', anno: 2023, servizio: 'SAD', beneficiari: 1234572, importo: 9876593.21, quota: 0.2, media: 8.00001 }, ['genere']),
    rolledUp({ regione: '01', anno: 2023, servizio: 'SAD', beneficiari: 3, importo: 30.1, quota: 0.5, media: 10.033333333333333 }, ['genere']),
    rolledUp({ regione: '01', anno: 2022, servizio: 'ADI', beneficiari: 10, importo: 60, quota: 0.1, media: 6 }, ['genere']),
    rolledUp({ regione: '01', genere: 1, beneficiari: 7, importo: 30.1, quota: 0.5, media: 4.3 }, ['anno', 'servizio']),
    rolledUp({ anno: 2023, servizio: 'SAD', beneficiari: 1234575, importo: 9876623.31, quota: 0.2, media: 8 }, ['regione', 'genere']),
    rolledUp({ beneficiari: 1234585, importo: 9876683.31, quota: 0.2, media: 8 }, ['regione', 'genere', 'anno', 'servizio']),
  ],
  labels: {
    regione: { '01': { it: 'Piemonte' }, '12': { it: "Valle d'Aosta/Vallée d'Aoste", en: 'Aosta Valley' } },
    genere: { '1': { it: 'Maschio', en: 'Male' }, '2': { it: 'Femmina', en: 'Female' } },
    anno: { '2022': { it: '2022' }, '2023': { it: '2023' } },
    servizio: { SAD: { it: 'Assistenza domiciliare, "SAD"' }, ADI: { it: 'Assistenza domiciliare integrata' } },
  },
  filters: ['Anno: da 2022', 'Servizio: SAD, ADI'],
  dataDate: '2026-03-31T22:00:00.000Z', dataVersion: 'L1',
  demo: false,
  truncated: false,
};

/** One row dimension, no column dimension: the long table. */
const long: QueryResult = {
  ...small,
  columns: [small.columns[0], small.columns[2], small.columns[3]],
  rows: [
    { genere: 1, beneficiari: 10, importo: 100.5 },
    { genere: 2, beneficiari: null, importo: 1e-7 },
    { genere: null, beneficiari: 10, importo: 100.5000001, rollup: ['genere'] },
  ],
  suppression: undefined,
};

t.test('crosstab: columns by first appearance, totals after their members, times the measures', async (t) => {
  const x = toCrosstab(small);
  t.same(x.rowDimensions.map((d) => d.name), ['genere']);
  t.same(x.columnDimensions.map((d) => d.name), ['anno']);
  t.same(x.columns.map((c) => [c.keys, c.labels, c.rollup, c.measure.name]), [
    [[2022], ['2022'], [], 'beneficiari'], [[2022], ['2022'], [], 'importo'],
    [[2023], ['2023'], [], 'beneficiari'], [[2023], ['2023'], [], 'importo'],
    [[null], ['Totale'], ['anno'], 'beneficiari'], [[null], ['Totale'], ['anno'], 'importo'],
  ]);
  t.same(x.rows.map((r) => [r.keys, r.labels, r.rollup, r.cells]), [
    [[1], ['Maschio, "M"'], [], [10, 100.5, null, null, 11, 130.25]],
    [[2], ['Femmina\nè'], [], [null, null, 7, 70, 7, 70]],
    [[null], ['Totale'], ['genere'], [10, 100.5, 9, 99.75, 18, 200.25]],
  ]);
  t.same(x.rows[0].suppressed, [false, false, true, true, false, false]);
  t.same(toCrosstab(small, 'en').rows[2].labels, ['Total'], 'the language as a bare argument too');
});

t.test('crosstab: two dimensions per axis, subtotals below their group, a member without key', async (t) => {
  const x = toCrosstab(big);
  t.same(x.columns.filter((c) => c.measure.name === 'beneficiari').map((c) => [c.keys, c.labels, c.rollup]), [
    [[2023, 'SAD'], ['2023', 'Assistenza domiciliare, "SAD"'], []],
    [[2022, 'ADI'], ['2022', 'Assistenza domiciliare integrata'], []],
    [[null, null], ['Totale', 'Totale'], ['anno', 'servizio']],
  ]);
  t.same(x.columns.map((c) => c.measure.name).slice(0, 5), ['beneficiari', 'importo', 'quota', 'media', 'beneficiari'], 'measures inside each combination');
  t.same(x.rows.map((r) => [r.keys, r.labels, r.rollup]), [
    [['12', 2], ["Valle d'Aosta/Vallée d'Aoste", 'Femmina'], []],
    [['12', null], ["Valle d'Aosta/Vallée d'Aoste", 'Non indicato'], []],
    [['12', null], ["Valle d'Aosta/Vallée d'Aoste", 'Totale'], ['genere']],
    [['01', 1], ['Piemonte', 'Maschio'], []],
    [['01', 2], ['Piemonte', 'Femmina'], []],
    [['01', null], ['Piemonte', 'Totale'], ['genere']],
    [[null, null], ['Totale', 'Totale'], ['regione', 'genere']],
  ]);
  const cells = (i: number) => x.rows[i].cells;
  t.same(cells(0), [1234567, 9876543.21, 0.1234, 8, null, null, null, null, null, null, null, null]);
  t.same(cells(1), [5, 50, null, 10, null, null, null, null, null, null, null, null], 'null ratio stays null');
  t.same(cells(3), [3, 30.1, 0.5, 10.033333333333333, 4, 0, 0, 0, 7, 30.1, 0.5, 4.3], 'zeros are zeros, not missing');
  t.same(cells(6), [1234575, 9876623.31, 0.2, 8, null, null, null, null, 1234585, 9876683.31, 0.2, 8]);
  const en = toCrosstab(big, { lang: 'en' });
  t.same(en.rows[2].labels, ['Aosta Valley', 'Total']);
  t.same(en.rows[1].labels, ['Aosta Valley', 'Not stated']);
  t.same(en.rows[3].labels, ['Piemonte', 'Male'], 'Italian where there is no English label');
});

t.test('crosstab without column dimensions is the long table', async (t) => {
  const x = toCrosstab(long);
  t.same(x.columns.map((c) => [c.keys, c.measure.name]), [[[], 'beneficiari'], [[], 'importo']]);
  t.same(x.rows.map((r) => [r.keys, r.labels, r.rollup, r.cells]), [
    [[1], ['Maschio, "M"'], [], [10, 100.5]],
    [[2], ['Femmina\nè'], [], [null, 1e-7]],
    [[null], ['Totale'], ['genere'], [10, 100.5000001]],
  ]);
});

/** The CSV column of a long row's measure, by the documented naming convention. */
function csvColumn(result: QueryResult, row: ResultRow, measure: string): string {
  const across = result.columns
    .filter((c) => c.kind === 'dimension' && c.axis === 'columns')
    .map((d) => (row.rollup?.includes(d.name) ? 'Totale' : String(row[d.name] ?? 'NonIndicato')));
  return [measure, ...across].join('_');
}

/** Every measure of every JSON row equals the CSV field at its place (empty field = null). */
function csvRoundTrip(t: Asserts, result: QueryResult, grid: string[][], rowOf: (row: ResultRow) => string[] | undefined): number {
  const header = grid[0];
  let n = 0;
  for (const row of result.rows)
    for (const m of result.columns.filter((c) => c.kind === 'measure')) {
      const column = csvColumn(result, row, m.name);
      const line = rowOf(row);
      const at = header.indexOf(column);
      if (!line || at < 0) {
        t.fail(`no place for ${m.name} of ${JSON.stringify(row)}`);
        continue;
      }
      const text = line[at];
      if (row.suppressed) t.equal(text, 'n.d.', `${column} marked suppressed`);
      else t.equal(text === '' ? null : Number(text), row[m.name], `${column} ${JSON.stringify(row)}`);
      n++;
    }
  return n;
}

t.test('CSV: one header row, codes and labels, suppressed cells marked, empty missing values, machine-readable numbers', async (t) => {
  const csv = toCsv(small);
  t.notOk(csv.startsWith('\ufeff'), 'no BOM: the first column name stays "genere" in R and pandas');
  t.ok(csv.includes('\r\n'), 'CRLF record separators (RFC 4180)');
  const grid = parse(csv, { relax_column_count: false }) as string[][];
  t.same(grid, [
    ['genere', 'genere_label', 'beneficiari_2022', 'importo_2022', 'beneficiari_2023', 'importo_2023', 'beneficiari_Totale', 'importo_Totale'],
    ['1', 'Maschio, "M"', '10', '100.5', 'n.d.', 'n.d.', '11', '130.25'],
    ['2', 'Femmina\nè', '', '', '7', '70', '7', '70'],
    ['', 'Totale', '10', '100.5', '9', '99.75', '18', '200.25'],
  ]);
  t.same(csvHeader(small), grid[0]);
  const semi = parse(toCsv(small, { separator: ';' }), { delimiter: ';' }) as string[][];
  t.same(semi, grid, 'same grid with ; as separator');
  t.equal((parse(toCsv(small, { suppressed: '<3' })) as string[][])[1][4], '<3', 'another marker on request');
  const en = parse(toCsv(small, { lang: 'en' })) as string[][];
  t.same(en[0], grid[0], 'column names do not depend on the language');
  t.equal(en[3][1], 'Total');
  t.equal(csvRoundTrip(t, small, grid, (r) => grid.find((g) => g[0] === String(r.genere ?? ''))), small.rows.length * 2);
});

t.test('CSV: two dimensions per axis, every JSON number in its place', async (t) => {
  const grid = parse(toCsv(big)) as string[][];
  t.same(grid[0], [
    'regione', 'regione_label', 'genere', 'genere_label',
    'beneficiari_2023_SAD', 'importo_2023_SAD', 'quota_2023_SAD', 'media_2023_SAD',
    'beneficiari_2022_ADI', 'importo_2022_ADI', 'quota_2022_ADI', 'media_2022_ADI',
    'beneficiari_Totale_Totale', 'importo_Totale_Totale', 'quota_Totale_Totale', 'media_Totale_Totale',
  ]);
  t.same(grid.slice(1).map((g) => g.slice(0, 4)), [
    ['12', "Valle d'Aosta/Vallée d'Aoste", '2', 'Femmina'],
    ['12', "Valle d'Aosta/Vallée d'Aoste", '', 'Non indicato'],
    ['12', "Valle d'Aosta/Vallée d'Aoste", '', 'Totale'],
    ['01', 'Piemonte', '1', 'Maschio'],
    ['01', 'Piemonte', '2', 'Femmina'],
    ['01', 'Piemonte', '', 'Totale'],
    ['', 'Totale', '', 'Totale'],
  ]);
  t.same(grid[1].slice(4, 8), ['1234567', '9876543.21', '0.1234', '8'], 'no thousands separator, "." decimals, fractions for percentages');
  t.equal(grid[4][7], '10.033333333333333', 'full precision');
  const rowOf = (r: ResultRow) => {
    const label = r.rollup?.includes('genere') ? 'Totale' : r.genere === null ? 'Non indicato' : undefined;
    return grid.find((g) => g[0] === String(r.regione ?? '') && (label ? g[3] === label : g[2] === String(r.genere)));
  };
  t.equal(csvRoundTrip(t, big, grid, rowOf), big.rows.length * 4);
});

t.test('CSV: without column dimensions one column per measure', async (t) => {
  const grid = parse(toCsv(long)) as string[][];
  t.same(grid, [
    ['genere', 'genere_label', 'beneficiari', 'importo'],
    ['1', 'Maschio, "M"', '10', '100.5'],
    ['2', 'Femmina\nè', '', '1e-7'],
    ['', 'Totale', '10', '100.5000001'],
  ]);
  t.equal(Number(grid[2][3]), 1e-7, 'the shortest exact form reads back to the same number');
});

t.test('CSV metadata travels in HTTP headers', async (t) => {
  // What the query route sends with a CSV answer.
  const csvMetadataHeaders = (result: QueryResult) => answerHeaders({ ...result, name: result.cube }, 'csv');
  t.match(csvMetadataHeaders(small), {
    'Content-Type': 'text/csv; charset=utf-8; header=present',
    'Content-Disposition': 'attachment; filename="prova.csv"; filename*=UTF-8\'\'prova.csv',
    'X-Data-Date': '2026-01-02T03:04:05.000Z',
    'X-Demo-Data': 'true',
    'X-Truncated': 'false',
    'X-Filters': 'Regione%3A%20Lazio',
    'X-Suppression': 'threshold=3; primary=1; secondary=0',
  });
  const b = csvMetadataHeaders(big);
  t.equal(b['X-Filters'].split(', ').map(decodeURIComponent).join('|'), 'Anno: da 2022|Servizio: SAD, ADI');
  t.notOk('X-Suppression' in b);
  for (const v of Object.values(b)) t.match(v, /^[\x20-\x7e]*$/, 'ASCII header values');
});

async function readXlsx(result: QueryResult, lang?: 'it' | 'en'): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load((await toXlsx(result, lang ? { lang } : {})) as never);
  return wb;
}

function rowValues(ws: ExcelJS.Worksheet, n: number, from: number, to: number): unknown[] {
  const out: unknown[] = [];
  for (let c = from; c <= to; c++) out.push(ws.getRow(n).getCell(c).value ?? null);
  return out;
}

t.test('XLSX: caption, headers, number formats, frozen panes, suppression footnote, definitions', async (t) => {
  const wb = await readXlsx(small);
  const ws = wb.getWorksheet('Dati')!;
  t.equal(ws.getCell('A1').value, 'Prova "cubo", con virgole');
  t.equal(ws.getCell('A1').font?.bold, true);
  t.equal(ws.getCell('A2').value, 'Filtro: Regione: Lazio');
  t.match(String(ws.getCell('A3').value), /^Dati aggiornati al 02\/01\/2026, 04:04/);
  t.equal(ws.getCell('A4').value, 'Dati dimostrativi generati, non reali');
  // Row 6: column dimension (anno), row 7: measures; body from row 8.
  t.same(rowValues(ws, 6, 2, 8), ['Anno', '2022', '2022', '2023', '2023', 'Totale', 'Totale']);
  t.same(rowValues(ws, 7, 1, 8), ['Codice genere', 'Genere', 'Beneficiari', 'Importo', 'Beneficiari', 'Importo', 'Beneficiari', 'Importo']);
  t.equal(ws.getCell('C6').font?.bold, true, 'headers in bold');
  t.equal(ws.getCell('C7').font?.bold, true);
  t.same(rowValues(ws, 8, 1, 8), [1, 'Maschio, "M"', 10, 100.5, 'n.d.', 'n.d.', 11, 130.25]);
  t.same(rowValues(ws, 9, 1, 8), [2, 'Femmina\nè', null, null, 7, 70, 7, 70], 'missing cells left empty');
  t.same(rowValues(ws, 10, 1, 8), [null, 'Totale', 10, 100.5, 9, 99.75, 18, 200.25]);
  t.equal(ws.getCell('C8').numFmt, '#,##0');
  t.equal(ws.getCell('D8').numFmt, '#,##0.00 "€"');
  t.equal(ws.getCell('H10').numFmt, '#,##0.00 "€"');
  t.equal(ws.getCell('H10').font?.bold, true, 'totals in bold');
  t.notOk(ws.getCell('H9').font?.bold, 'detail rows not in bold');
  t.match(String(ws.getCell('A11').value), /n\.d\. = dato non disponibile .*meno di 3/);
  t.match(ws.views[0], { state: 'frozen', xSplit: 2, ySplit: 7 });
  t.ok((ws.getColumn(2).width ?? 0) >= 'Maschio, "M"'.length, 'label column wide enough');
  const defs = wb.getWorksheet('Definizioni')!;
  t.same(rowValues(defs, 1, 1, 5), ['Nome', 'Etichetta', 'Tipo', 'Formato', 'Definizione']);
  t.same(rowValues(defs, 2, 1, 5), ['beneficiari', 'Beneficiari', 'misura', 'numero intero', 'persone distinte']);
  t.same(rowValues(defs, 3, 1, 5), ['importo', 'Importo', 'misura', 'euro', 'somma']);
  t.same(rowValues(defs, 4, 1, 5), ['genere', 'Genere', 'dimensione', null, 'Definizione di Genere']);
  t.same(rowValues(defs, 5, 1, 3), ['anno', 'Anno', 'dimensione']);
});

t.test('XLSX: two dimensions per axis, a format per measure, every JSON number in its cell', async (t) => {
  const wb = await readXlsx(big);
  const ws = wb.getWorksheet('Dati')!;
  t.same(rowValues(ws, 1, 1, 3), ['Prestazioni sociali', null, null]);
  t.same([2, 3, 4].map((r) => ws.getRow(r).getCell(1).value), ['Filtro: Anno: da 2022', 'Filtro: Servizio: SAD, ADI', 'Dati aggiornati al 01/04/2026, 00:00 (versione L1)']);
  t.notOk(ws.getRow(5).getCell(1).value, 'no demo notice on real data');
  // Rows 6-7: anno, servizio; row 8: measures; body from row 9. Four lead columns.
  t.match(ws.views[0], { state: 'frozen', xSplit: 4, ySplit: 8 });
  t.same(rowValues(ws, 6, 4, 8), ['Anno', '2023', '2023', '2023', '2023']);
  t.same(rowValues(ws, 7, 4, 5), ['Servizio', 'Assistenza domiciliare, "SAD"']);
  t.same(rowValues(ws, 8, 1, 8), ['Codice regione', 'Regione', 'Codice genere', 'Genere', 'Beneficiari', 'Importo erogato', 'Quota sulla popolazione', 'Importo medio']);
  const formats: Record<string, string> = { beneficiari: '#,##0', importo: '#,##0.00 "€"', quota: '0.00%', media: '#,##0.00' };
  t.same(rowValues(ws, 9, 5, 8), [1234567, 9876543.21, 0.1234, 8]);
  t.same(['E9', 'F9', 'G9', 'H9'].map((a) => ws.getCell(a).numFmt), Object.values(formats));
  t.same(rowValues(ws, 10, 1, 4), ['12', "Valle d'Aosta/Vallée d'Aoste", null, 'Non indicato'], 'codes kept as text, member without key labelled');
  t.same(rowValues(ws, 15, 1, 4), [null, 'Totale', null, 'Totale']);
  t.equal(ws.getCell('P15').font?.bold, true, 'grand total in bold');
  t.equal(ws.getCell('E11').font?.bold, true, 'subtotal in bold');

  // Every figure: its row by codes and labels, its column by the three header rows.
  const [yearRow, serviceRow, measureRow] = [ws.getRow(6), ws.getRow(7), ws.getRow(8)];
  let checked = 0;
  for (const row of big.rows) {
    const genereLabel = row.rollup?.includes('genere') ? 'Totale' : row.genere === null ? 'Non indicato' : undefined;
    let n = 9;
    for (; n <= ws.rowCount; n++) {
      const r = ws.getRow(n);
      const regioneOk = (r.getCell(1).value ?? '') === (row.regione ?? '');
      if (regioneOk && (genereLabel ? r.getCell(4).value === genereLabel : r.getCell(3).value === row.genere)) break;
    }
    for (const [measure, numFmt] of Object.entries(formats)) {
      const label = big.columns.find((c) => c.name === measure)!.label.it;
      const year = row.rollup?.includes('anno') ? 'Totale' : String(row.anno);
      const service = row.rollup?.includes('servizio') ? 'Totale' : big.labels.servizio[String(row.servizio)].it;
      let c = 5;
      while (c <= 16 && !(yearRow.getCell(c).value === year && serviceRow.getCell(c).value === service && measureRow.getCell(c).value === label)) c++;
      const cell = ws.getRow(n).getCell(c);
      t.equal(cell.value ?? null, row[measure], `${measure} ${JSON.stringify(row)}`);
      t.equal(cell.numFmt, numFmt);
      checked++;
    }
  }
  t.equal(checked, big.rows.length * 4);
});

t.test('XLSX in English: labels, sheet names, caption', async (t) => {
  const wb = await readXlsx(big, 'en');
  const ws = wb.getWorksheet('Data')!;
  t.equal(ws.getCell('A1').value, 'Social benefits');
  t.match(String(ws.getCell('A4').value), /^Data as of/);
  t.same(rowValues(ws, 8, 1, 6), ['Code region', 'Region', 'Code sex', 'Sex', 'Beneficiaries', 'Amount']);
  t.equal(ws.getCell('B9').value, 'Aosta Valley');
  t.equal(ws.getCell('D11').value, 'Total');
  t.ok(wb.getWorksheet('Definitions'));
});

t.test('CSV and XLSX from the API equal its JSON answer, number for number', async (t) => {
  const demo = await demoApp(20_000, 3, { nationalExemptFromDisclosure: true });
  t.teardown(demo.dispose);
  const headers = await demo.as({ profile: 'nazionale' });
  const body = { measures: ['beneficiari', 'importo', 'quota_popolazione'], rows: ['regione'], columns: ['anno'], totals: true, filters: [{ dimension: 'anno', op: 'gte', value: 2021 }] };
  const json = (await demo.app.inject({ method: 'POST', url: '/v1/cubes/prestazioni/query', headers, payload: body })).json() as QueryResult;
  const csvRes = await demo.app.inject({ method: 'POST', url: '/v1/cubes/prestazioni/query', headers: { ...headers, accept: 'text/csv' }, payload: body });
  t.match(csvRes.headers['content-type'], /text\/csv/);
  const grid = parse(csvRes.body) as string[][];
  t.equal(csvRoundTrip(t, json, grid, (r) => grid.find((g) => g[0] === String(r.regione ?? ''))), json.rows.length * 3);

  const xlsxRes = await demo.app.inject({ method: 'POST', url: '/v1/cubes/prestazioni/query?format=xlsx', headers, payload: body });
  t.match(xlsxRes.headers['content-type'], /spreadsheetml/);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(xlsxRes.rawPayload as never);
  const ws = wb.getWorksheet('Dati')!;
  const ySplit = (ws.views[0] as { ySplit: number }).ySplit;
  const headerRow = ws.getRow(ySplit);
  const yearRow = ws.getRow(ySplit - 1);
  let cells = 0;
  ws.eachRow((r, n) => {
    if (n <= ySplit) return;
    const code = r.getCell(1).value;
    const label = r.getCell(2).value;
    if (label === null || label === undefined) return;
    const row = json.rows.filter((x) => (x.regione ?? '') === (code ?? ''));
    if (!row.length) return;
    for (let c = 3; c <= r.cellCount; c++) {
      const measure = json.columns.find((col) => col.label.it === headerRow.getCell(c).value)!;
      const year = yearRow.getCell(c).value === 'Totale' ? null : Number(yearRow.getCell(c).value);
      const expected = row.find((x) => x.anno === year)![measure.name];
      t.equal(r.getCell(c).value ?? null, expected);
      cells++;
    }
  });
  t.equal(cells, json.rows.length * 3, 'every JSON figure is in the workbook');
});
