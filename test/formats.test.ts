/** CSV and XLSX answers, parsed back, carry exactly the JSON answer's numbers; plus the crosstab layout on a hand-built result. */
import t from 'tap';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { toCrosstab } from '../server/query/crosstab.ts';
import type { QueryResult } from '../server/query/result.ts';
import { toCsv } from '../server/http/formats/csv.ts';
import { toXlsx } from '../server/http/formats/xlsx.ts';
import { demoApp } from './helpers/app.ts';

/** A hand-built answer: genere x anno with totals, a suppressed cell, labels with quotes, commas and accents. */
const fixture: QueryResult = {
  cube: 'prova',
  cubeLabel: { it: 'Prova "cubo", con virgole', en: 'Test' },
  columns: [
    { name: 'genere', kind: 'dimension', axis: 'rows', label: { it: 'Genere' }, format: 'text', type: 'integer' },
    { name: 'anno', kind: 'dimension', axis: 'columns', label: { it: 'Anno' }, format: 'text', type: 'integer' },
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
  dataDate: '2026-01-02T03:04:05.000Z',
  demo: true,
  truncated: false,
  suppression: { threshold: 3, primary: 1, secondary: 0 },
};

t.test('crosstab layout', async (t) => {
  const x = toCrosstab(fixture);
  t.same(x.columns.map((c) => [c.keys, c.measure.name]), [
    [[2022], 'beneficiari'], [[2022], 'importo'], [[2023], 'beneficiari'], [[2023], 'importo'], [[null], 'beneficiari'], [[null], 'importo'],
  ]);
  t.same(x.rows.map((r) => [r.keys, r.labels, r.rollup, r.cells]), [
    [[1], ['Maschio, "M"'], [], [10, 100.5, null, null, 11, 130.25]],
    [[2], ['Femmina\nè'], [], [null, null, 7, 70, 7, 70]],
    [[null], ['Totale'], ['genere'], [10, 100.5, 9, 99.75, 18, 200.25]],
  ]);
  t.same(x.rows[0].suppressed, [false, false, true, true, false, false]);
});

t.test('CSV: one header row, codes and labels, suppressed marked, machine-readable numbers', async (t) => {
  const grid = parse(toCsv(fixture), { relax_column_count: false }) as string[][];
  t.same(grid[0], ['genere', 'genere_label', 'beneficiari_2022', 'importo_2022', 'beneficiari_2023', 'importo_2023', 'beneficiari_Totale', 'importo_Totale']);
  t.same(grid[1], ['1', 'Maschio, "M"', '10', '100.5', 'n.d.', 'n.d.', '11', '130.25']);
  t.same(grid[2], ['2', 'Femmina\nè', '', '', '7', '70', '7', '70']);
  t.same(grid[3], ['', 'Totale', '10', '100.5', '9', '99.75', '18', '200.25']);
  const semi = parse(toCsv(fixture, { separator: ';' }), { delimiter: ';' }) as string[][];
  t.same(semi, grid, 'same grid with ; as separator');
});

t.test('XLSX: caption, headers, number formats, frozen panes, suppression footnote, definitions', async (t) => {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load((await toXlsx(fixture)) as never);
  const ws = wb.getWorksheet('Dati')!;
  t.equal(ws.getCell('A1').value, 'Prova "cubo", con virgole');
  t.equal(ws.getCell('A2').value, 'Filtro: Regione: Lazio');
  t.match(String(ws.getCell('A3').value), /^Dati aggiornati al 02\/01\/26/);
  t.equal(ws.getCell('A4').value, 'Dati dimostrativi generati, non reali');
  // Row 6: column dimension (anno), row 7: measures; body from row 8.
  t.same([ws.getCell('B6').value, ws.getCell('C6').value, ws.getCell('E6').value, ws.getCell('G6').value], ['Anno', '2022', '2023', 'Totale']);
  t.same([ws.getCell('A7').value, ws.getCell('B7').value, ws.getCell('C7').value, ws.getCell('D7').value], ['Codice genere', 'Genere', 'Beneficiari', 'Importo']);
  t.same([ws.getCell('A8').value, ws.getCell('B8').value, ws.getCell('C8').value, ws.getCell('D8').value], [1, 'Maschio, "M"', 10, 100.5]);
  t.equal(ws.getCell('C8').numFmt, '#,##0');
  t.equal(ws.getCell('D8').numFmt, '#,##0.00 "€"');
  t.equal(ws.getCell('E8').value, 'n.d.', 'suppressed cells are marked, not 0');
  t.same([ws.getCell('B10').value, ws.getCell('H10').value], ['Totale', 200.25]);
  t.equal(ws.getCell('H10').font?.bold, true, 'totals in bold');
  t.match(String(ws.getCell('A11').value), /n\.d\. = dato non disponibile .*meno di 3/);
  t.match(ws.views[0], { state: 'frozen', xSplit: 2, ySplit: 7 });
  const defs = wb.getWorksheet('Definizioni')!;
  t.same(defs.getRow(4).values, [undefined, 'beneficiari', 'Beneficiari', 'misura', 'persone distinte']);
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
  const header = grid[0];
  let compared = 0;
  for (const row of json.rows) {
    const line = grid.find((g) => g[0] === (row.regione ?? ''))!;
    for (const m of ['beneficiari', 'importo', 'quota_popolazione']) {
      const col = header.indexOf(`${m}_${row.anno ?? 'Totale'}`);
      t.equal(Number(line[col]), row[m], `${m} ${row.regione ?? 'Italia'} ${row.anno ?? 'totale'}`);
      compared++;
    }
  }
  t.equal(compared, json.rows.length * 3);

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
      t.equal(r.getCell(c).value, expected);
      cells++;
    }
  });
  t.equal(cells, json.rows.length * 3, 'every JSON figure is in the workbook');
});
