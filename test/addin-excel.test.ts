/**
 * The add-in's workbook logic against a fake of the Excel object model (there
 * is no Excel here; test/helpers/fake-excel.ts says what the fake enforces),
 * fed with real answers of the server.
 */
import t from 'tap';
import { blockAt, columnIndex, columnName, growthRanges, overlapping, parseCell } from '../addin/src/blocks.ts';
import { insertBlock, readBlocks, refreshBlock, selectedBlock } from '../addin/src/excel.ts';
import { toFlatTable, toGrid } from '../server/present/grid.ts';
import type { QueryResult } from '../server/plan/result.ts';
import { FakeWorkbook } from './helpers/fake-excel.ts';
import { demoApp } from './helpers/app.ts';

const demo = await demoApp(30_000, 9, { nationalExemptFromDisclosure: true });
t.teardown(demo.dispose);
const headers = await demo.as({ profile: 'nazionale' });
async function query(body: unknown): Promise<QueryResult> {
  const res = await demo.app.inject({ method: 'POST', url: '/v1/cubes/prestazioni/query', headers, payload: body as object });
  if (res.statusCode !== 200) throw new Error(res.body);
  return res.json();
}

t.test('cell arithmetic', async (t) => {
  for (const [i, n] of [[0, 'A'], [25, 'Z'], [26, 'AA'], [701, 'ZZ'], [702, 'AAA']] as const) {
    t.equal(columnName(i), n);
    t.equal(columnIndex(n), i);
  }
  t.same(parseCell("'Foglio 1'!$C$7"), { row: 6, col: 2 });
  const block = { id: 'x', kind: 'pivot' as const, sheet: 'S', anchor: 'B2', rows: 3, columns: 2, lang: 'it' as const, dataDate: '', insertedAt: '' };
  t.same(growthRanges(block, 5, 4), ['D2:E6', 'B5:C6'], 'new columns to the right (full new height), new rows below');
  t.same(growthRanges(block, 2, 1), [], 'a smaller block needs no room');
  t.equal(blockAt([block], 'S', parseCell('C4'))?.id, 'x');
  t.equal(blockAt([block], 'S', parseCell('D4')), undefined);
  t.equal(overlapping([block], 'S', parseCell('C4'), 2, 2)?.id, 'x');
  t.equal(overlapping([block], 'S', parseCell('D2'), 2, 2), undefined);
});

t.test('insert: the server grid lands at the selection with formats, bold totals and its query remembered', async (t) => {
  const spec = { measures: ['beneficiari', 'importo', 'quota_popolazione'], rows: ['regione'], columns: ['anno'], totals: true, filters: [{ dimension: 'anno', op: 'gte' as const, value: 2022 }] };
  const result = await query(spec);
  const grid = toGrid(result);
  const wb = new FakeWorkbook();
  wb.selection = { sheet: 'Foglio1', address: 'B3' };
  const block = await insertBlock(wb.context(), { kind: 'pivot', grid, cube: 'prestazioni', query: spec, lang: 'it', dataDate: result.dataDate });
  t.match(block, { sheet: 'Foglio1', anchor: 'B3', rows: grid.values.length, columns: grid.width });
  t.equal(wb.value('Foglio1', 'B3'), 'Prestazioni sociali (PS-PSA)');
  // Every figure of the JSON answer is in the sheet, in its crosstab place.
  const header = grid.headerEnd;
  let checked = 0;
  for (const row of result.rows) {
    const r = grid.values.findIndex((v, i) => i > header && v[0] === (row.regione ?? ''));
    const c = grid.values[header - 1].findIndex((v, i) => i >= 2 && v === (row.anno === null ? 'Totale' : String(row.anno)));
    const address = `${columnName(1 + c)}${3 + r}`;
    t.equal(wb.value('Foglio1', address), row.beneficiari, `${row.regione ?? 'Italia'} ${row.anno ?? 'totale'}`);
    t.equal(wb.cell('Foglio1', address)?.numberFormat, '#,##0');
    checked++;
  }
  t.equal(checked, result.rows.length);
  const totalRow = 3 + grid.values.findIndex((v, i) => i > header && v[1] === 'Totale');
  t.equal(wb.cell('Foglio1', `C${totalRow}`)?.bold, true, 'the total row is bold');
  const saved = JSON.parse(String(wb.settings.get('pas.blocks')));
  t.same(saved[0].query, spec, 'the query is in the workbook settings, not in cells');
  t.equal((await readBlocks(wb.context())).length, 1);
});

t.test('insert refuses to overwrite the user\'s cells or another block', async (t) => {
  const result = await query({ measures: ['beneficiari'], rows: ['genere'] });
  const wb = new FakeWorkbook();
  wb.set('Foglio1', 'A4', 'nota mia');
  wb.selection = { sheet: 'Foglio1', address: 'A1' };
  await t.rejects(insertBlock(wb.context(), { kind: 'pivot', grid: toGrid(result), lang: 'it', dataDate: '' }), { name: 'CollisionError', range: 'A1:C7' });
  t.equal(wb.value('Foglio1', 'A4'), 'nota mia');
  t.equal(wb.value('Foglio1', 'A1'), '', 'nothing written');
  wb.selection = { sheet: 'Foglio1', address: 'D1' };
  await insertBlock(wb.context(), { kind: 'pivot', grid: toGrid(result), lang: 'it', dataDate: '' });
  wb.selection = { sheet: 'Foglio1', address: 'E2' };
  await t.rejects(insertBlock(wb.context(), { kind: 'pivot', grid: toGrid(result), lang: 'it', dataDate: '' }), { name: 'CollisionError' }, 'no block over a block');
});

t.test('refresh re-runs the remembered query, grows into free cells, and stops rather than overwrite', async (t) => {
  const small = { measures: ['beneficiari'], rows: ['genere'] };
  const wb = new FakeWorkbook();
  wb.selection = { sheet: 'Foglio1', address: 'A1' };
  const first = await query(small);
  await insertBlock(wb.context(), { kind: 'pivot', grid: toGrid(first), cube: 'prestazioni', query: small, lang: 'it', dataDate: first.dataDate });
  wb.selection = { sheet: 'Foglio1', address: 'B6' };
  const block = (await selectedBlock(wb.context()))!;
  t.ok(block, 'the selection inside the block finds it');
  // Next quarter the same block answers more rows (here: with a total row).
  const bigger = await query({ ...block.query, totals: true });
  const grid = toGrid(bigger);
  const { block: updated } = await refreshBlock(wb.context(), block, grid, { dataDate: bigger.dataDate });
  t.equal(updated.rows, grid.values.length);
  t.ok(updated.rows > block.rows);
  const femaleRow = grid.values.findIndex((v) => v[0] === 2);
  t.equal(wb.value('Foglio1', `C${femaleRow + 1}`), bigger.rows.find((r) => r.genere === 2)!.beneficiari, 'new row written');
  // A user's note right below the grown block: a further growth must stop and change nothing.
  wb.set('Foglio1', `A${updated.rows + 1}`, 'non toccare');
  const before = wb.values('Foglio1', `A1:C${updated.rows + 1}`);
  const evenBigger = toGrid(await query({ measures: ['beneficiari'], rows: ['fascia_eta'] }));
  await t.rejects(refreshBlock(wb.context(), updated, evenBigger, { dataDate: '' }), { name: 'CollisionError', range: `A${updated.rows + 1}:C${evenBigger.values.length}` });
  t.same(wb.values('Foglio1', `A1:C${updated.rows + 1}`), before, 'nothing changed');
  // Shrinking clears the cells it no longer uses.
  const { block: shrunk } = await refreshBlock(wb.context(), updated, toGrid(first), { dataDate: first.dataDate });
  t.equal(wb.value('Foglio1', `A${shrunk.rows + 1}`), '', 'stale row cleared');
  t.equal(wb.value('Foglio1', `A${updated.rows + 1}`), 'non toccare', 'the note is still there');
});

t.test('flat tables for the user\'s PivotTables, with the non-additive warning', async (t) => {
  const result = await query({ measures: ['beneficiari', 'importo'], rows: ['regione', 'genere'], totals: true });
  const flat = toFlatTable(result);
  t.equal(flat.rows.length, result.rows.filter((r) => !r.rollup).length, 'totals are left out: Excel will compute its own');
  t.same(flat.nonAdditive, ['Beneficiari'], 'beneficiari cannot be summed; importo can');
  const wb = new FakeWorkbook();
  await insertBlock(wb.context(), {
    kind: 'table',
    grid: { values: [flat.header, ...flat.rows], formats: [flat.header.map(() => 'General'), ...flat.rows.map(() => flat.formats)], bold: [true, ...flat.rows.map(() => false)], width: flat.header.length },
    lang: 'it',
    dataDate: result.dataDate,
    asTable: true,
    newSheet: 'Dati PAS',
  });
  t.same(wb.tables, [{ sheet: 'Dati PAS', address: `A1:D${flat.rows.length + 1}` }]);
  t.equal(wb.active, 'Dati PAS');
  t.equal(wb.value('Dati PAS', 'A1'), 'Regione / Provincia autonoma');
});

t.test('the fake is strict like Excel: reading before load/sync fails', async (t) => {
  const wb = new FakeWorkbook();
  const ctx = wb.context();
  const range = ctx.workbook.getSelectedRange();
  t.throws(() => range.address, /PropertyNotLoaded/);
  range.load('address');
  await ctx.sync();
  t.equal(range.address, 'Foglio1!A1');
  t.throws(() => { ctx.workbook.worksheets.getItem('Foglio1').getRange('A1:B1').values = [[1]]; }, /InvalidArgument/);
});

t.test('a refresh says the data changed by data version (a new load), else by date', async (t) => {
  const { dataChanged } = await import('../addin/src/excel.ts');
  t.equal(dataChanged({ dataDate: '2026-01-01', dataVersion: 'A' }, { dataDate: '2026-01-01', dataVersion: 'B' }), true, 'a new load, same day');
  t.equal(dataChanged({ dataDate: '2026-01-01', dataVersion: 'A' }, { dataDate: '2026-02-01', dataVersion: 'A' }), false, 'same load');
  t.equal(dataChanged({ dataDate: '2026-01-01' }, { dataDate: '2026-02-01', dataVersion: 'A' }), true, 'a block from before versions: by date');
  t.equal(dataChanged({ dataDate: '2026-01-01' }, { dataDate: '2026-01-01' }), false);
  const wb = new FakeWorkbook();
  const result = await query({ measures: ['beneficiari'], rows: ['genere'] });
  const block = await insertBlock(wb.context(), { kind: 'pivot', grid: toGrid(result), cube: 'prestazioni', query: { measures: ['beneficiari'], rows: ['genere'] }, lang: 'it', dataDate: result.dataDate, dataVersion: 'L1' });
  t.equal(block.dataVersion, 'L1', 'the block keeps the version it was inserted with');
  const same = await refreshBlock(wb.context(), block, toGrid(result), { dataDate: result.dataDate, dataVersion: 'L1' });
  t.equal(same.dataChanged, false);
  const next = await refreshBlock(wb.context(), same.block, toGrid(result), { dataDate: result.dataDate, dataVersion: 'L2' });
  t.same([next.dataChanged, next.block.dataVersion], [true, 'L2']);
  t.equal(JSON.parse(wb.settings.get('pas.blocks') as string)[0].dataVersion, 'L2', 'saved in the workbook');
});

t.test('refreshing a report block moves its charts to the new ranges, deletes the charts of gone series, adds new ones', async (t) => {
  const wb = new FakeWorkbook();
  const result = await query({ measures: ['beneficiari'], rows: ['genere'] });
  const grid = toGrid(result);
  const spec = (top: number, bottom: number, title: string) => ({ type: 'bar' as const, top, bottom, left: 0, right: 1, title });
  const block = await insertBlock(wb.context(), { kind: 'report', grid, charts: [spec(2, 3, 'A'), spec(2, 4, 'B')], lang: 'it', dataDate: result.dataDate, newSheet: 'Report' });
  t.same(wb.charts.map((c) => [c.name, c.address, c.title]), [[`pas_${block.id}_0`, 'A3:B4', 'A'], [`pas_${block.id}_1`, 'A3:B5', 'B']]);
  wb.charts.push({ sheet: 'Report', type: 'Pie', address: 'H1:I2', title: 'del utente', name: 'Grafico utente' });
  // The report now has one more row and one chart fewer, then two charts again.
  const shrunk = await refreshBlock(wb.context(), block, grid, { dataDate: result.dataDate }, [spec(2, 5, 'A2')]);
  t.same(wb.charts.map((c) => [c.name, c.address, c.title]), [[`pas_${block.id}_0`, 'A3:B6', 'A2'], ['Grafico utente', 'H1:I2', 'del utente']], 'moved, the extra one deleted, the user\'s chart untouched');
  t.equal(shrunk.block.charts, 1);
  await refreshBlock(wb.context(), shrunk.block, grid, { dataDate: result.dataDate }, [spec(2, 5, 'A3'), spec(1, 2, 'C')]);
  t.same(wb.charts.filter((c) => c.name.startsWith('pas_')).map((c) => [c.name, c.address, c.title]), [[`pas_${block.id}_0`, 'A3:B6', 'A3'], [`pas_${block.id}_1`, 'A2:B3', 'C']]);
});
