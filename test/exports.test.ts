/**
 * Exports a statistician can use (issue #16): workbooks opened and read back,
 * asserting cell types and number formats, not only values; member order of
 * crosstab columns; sheet names; no empty sheets; headers; one date format.
 * And large exports stream (issue #14): rows leave while later rows are still
 * being produced.
 */
import t from 'tap';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { Readable, Writable } from 'node:stream';
import { csvStream } from '../server/formats/csv.ts';
import { QUERY_ANSWER, REPORT } from '../server/formats/documents.ts';
import { answer } from '../server/formats/table.ts';
import { collect, workbookStream } from '../server/formats/workbook.ts';
import { xlsxStream } from '../server/formats/xlsx.ts';
import { dateTimeText } from '../server/present/caption.ts';
import { toCrosstab } from '../server/present/crosstab.ts';
import { gridRow, type GridRow } from '../server/present/grid.ts';
import { decimalsFor, numberFormat } from '../server/present/number-formats.ts';
import { sheetNames, shortenTitle } from '../server/present/sheet-names.ts';
import type { QueryResult, ResultRow } from '../server/plan/result.ts';
import { demoApp } from './helpers/app.ts';

type Row = Record<string, unknown>;

async function workbook(payload: Buffer): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(payload as never);
  return wb;
}

/** What Excel shows for a number under a format like 0.0000% or #,##0.000 (decimals only; enough to tell 0.00% from 0.0040%). */
function shown(value: number, numFmt: string): string {
  const decimals = /0\.(0+)/.exec(numFmt)?.[1].length ?? 0;
  return (numFmt.includes('%') ? value * 100 : value).toFixed(decimals);
}

t.test('number formats: small shares get the decimals they need, at least two significant digits', async (t) => {
  t.equal(numberFormat('percent', [0.1234, 0.5]), '0.00%', 'large shares keep two decimals');
  t.equal(numberFormat('percent', [0.00004, 0.2]), '0.0000%', 'a share of 0.004% gets four decimals');
  t.equal(shown(0.00004, numberFormat('percent', [0.00004])), '0.0040', '0.004% shows as 0.0040%, not 0.00%');
  t.equal(decimalsFor('percent', [0.0001]), 3, '0.01% -> 0.010%');
  t.equal(numberFormat('decimal', [0.004]), '#,##0.0000');
  t.equal(numberFormat('euro', [0.004]), '#,##0.00 "€"', 'amounts keep cents');
  t.equal(numberFormat('integer', [1]), '#,##0');
  t.equal(numberFormat('percent', [0, null]), '0.00%', 'zeros and missing values do not ask for decimals');
  t.equal(decimalsFor('percent', [1e-12]), 6, 'at most six decimals');
});

t.test('sheet names: at most 31 characters, never cut mid-word, unique regardless of case', async (t) => {
  t.equal(shortenTitle('3 Distribuzione per fasce di età'), '3 Distrib. per fasce di età', 'abbreviated rather than cut');
  t.equal(shortenTitle("5 Beneficiari residenti e non residenti nel territorio dell'ente"), '5 Beneficiari residenti', 'cut at a word, not on "e non"');
  t.equal(shortenTitle('Dati: regione/ATS [2023]?'), 'Dati regione ATS 2023', 'characters Excel refuses are dropped');
  const names = sheetNames(['Indicatori', 'indicatori', 'Indicatori', 'x'.repeat(40)]);
  t.same(names, ['Indicatori', 'indicatori (2)', 'Indicatori (3)', 'x'.repeat(31)]);
  for (const n of names) t.ok(n.length <= 31, n);
});

const col = (name: string, axis: 'rows' | 'columns', members?: number[]) =>
  ({ name, kind: 'dimension' as const, axis, label: { it: name }, format: 'text' as const, type: 'integer' as const, ...(members ? { members } : {}) });
const generi: QueryResult = {
  cube: 'prova', cubeLabel: { it: 'Prova' },
  columns: [col('anno', 'rows'), col('genere', 'columns', [1, 2]), { name: 'beneficiari', kind: 'measure', label: { it: 'Beneficiari' }, format: 'integer' }],
  // Ordered by beneficiari: Femmina arrives first.
  rows: [{ anno: 2023, genere: 2, beneficiari: 9 }, { anno: 2023, genere: 1, beneficiari: 4 }, { anno: 2023, genere: null, beneficiari: 13, rollup: ['genere'] }],
  labels: { genere: { '1': { it: 'Maschio' }, '2': { it: 'Femmina' } }, anno: { '2023': { it: '2023' } } },
  filters: [], dataDate: '2026-12-02T02:16:00.000Z', dataVersion: 'L9', demo: true, truncated: false,
};

t.test('crosstab columns follow the declared member order, not the order the data arrive in', async (t) => {
  t.same(toCrosstab(generi).columns.map((c) => c.labels[0]), ['Maschio', 'Femmina', 'Totale']);
  const undeclared = { ...generi, columns: [generi.columns[0], col('genere', 'columns'), generi.columns[2]] };
  t.same(toCrosstab(undeclared).columns.map((c) => c.labels[0]), ['Femmina', 'Maschio', 'Totale'], 'without a declared list: order of appearance');
});

t.test('the answer is sent as a stream for CSV and XLSX, as the object itself for JSON', async (t) => {
  const sent: unknown[] = [];
  const headers: Record<string, string> = {};
  const reply = { headers: (h: Record<string, string>) => (Object.assign(headers, h), reply), type: (m: string) => ((headers['content-type'] = m), reply), send: (b: unknown) => (sent.push(b), reply) };
  answer(reply as never, QUERY_ANSWER, generi, 'xlsx', {}, { lang: 'it' });
  answer(reply as never, QUERY_ANSWER, generi, 'csv', {}, { lang: 'it' });
  answer(reply as never, QUERY_ANSWER, generi, 'json', {}, { lang: 'it' });
  t.ok(sent[0] instanceof Readable && sent[1] instanceof Readable, 'xlsx and csv are streams');
  t.equal(sent[2], generi, 'json is the object, serialised by the route\'s schema');
  t.same(REPORT.formats, ['json', 'xlsx']);
});

/** A 100,000-row answer: anno × comune-like codes down, one measure. */
function bigResult(n: number): QueryResult {
  const rows: ResultRow[] = [];
  for (let i = 0; i < n; i++) rows.push({ codice: `C${String(i).padStart(6, '0')}`, beneficiari: i % 997 });
  return {
    cube: 'grande', cubeLabel: { it: 'Grande' },
    columns: [{ name: 'codice', kind: 'dimension', axis: 'rows', label: { it: 'Comune' }, format: 'text', type: 'string' }, { name: 'beneficiari', kind: 'measure', label: { it: 'Beneficiari' }, format: 'integer' }],
    rows, labels: { codice: {} }, filters: [], dataDate: '', dataVersion: '', demo: false, truncated: false,
  };
}

t.test('a 100,000-row XLSX streams: bytes leave while later rows are still being produced', async (t) => {
  const N = 100_000;
  let produced = 0;
  const rows = function* (): Iterable<GridRow> {
    yield gridRow(2, ['Comune', 'Beneficiari'], 'header');
    for (let i = 0; i < N; i++) {
      produced++;
      yield gridRow(2, [`C${i}`, i % 997], 'body', { numFmt: '#,##0' });
    }
  };
  const producedAtChunk: number[] = [];
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        producedAtChunk.push(produced);
        bytes += chunk.length;
        done();
      },
    });
    workbookStream([{ name: 'Dati', rows: rows(), widths: [12, 12] }]).on('error', reject).pipe(sink).on('finish', resolve).on('error', reject);
  });
  t.equal(produced, N, 'every row written');
  t.ok(producedAtChunk[0] < N / 2, `the first bytes left after ${producedAtChunk[0]} of ${N} rows`);
  t.ok(producedAtChunk.filter((p) => p < N).length > 10, `many chunks while rows were still coming (${producedAtChunk.filter((p) => p < N).length})`);
  t.ok(bytes > 100_000, 'a real workbook');
});

t.test('a large query answer as CSV and XLSX: streams, read back whole', async (t) => {
  const csv = parse(await collect(csvStream(bigResult(100_000)))) as string[][];
  t.equal(csv.length, 100_001, 'header + every row of 100,000');
  t.same(csv[100_000], ['C099999', 'C099999', String(99_999 % 997)], 'a member without label is named by its code');
  // Read a workbook back with exceljs's streaming reader (slow: 20,000 rows are enough for the layout): row count and the last row's types.
  const N = 20_000;
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(xlsxStream(bigResult(N)), { worksheets: 'emit', sharedStrings: 'cache', styles: 'cache' });
  let count = 0;
  let last: ExcelJS.Row | undefined;
  for await (const ws of reader) {
    if ((ws as unknown as { name: string }).name !== 'Dati') continue;
    for await (const row of ws as AsyncIterable<ExcelJS.Row>) {
      count++;
      last = row;
    }
  }
  // Title, date line, header and the rows (the reader skips the blank row).
  t.equal(count, 3 + N);
  t.equal(last!.getCell(1).value, `C0${N - 1}`);
  t.equal(last!.getCell(3).type, ExcelJS.ValueType.Number, 'figures are numbers, not text');
  t.equal(last!.getCell(3).numFmt, '#,##0');
});

t.test('through the API', async (t) => {
  const demo = await demoApp(20_000, 5);
  t.teardown(demo.dispose);
  const { app, engine } = demo;
  const P = engine.table('prestazioni');
  const [{ ats, regione }] = await engine.query<{ ats: string; regione: string }>(`SELECT ats, any(regione) regione FROM ${P} GROUP BY ats ORDER BY count() DESC, ats LIMIT 1`);
  const nazionale = await demo.as({ profile: 'nazionale' });
  const atsUser = await demo.as({ profile: 'ats', scope: ats });
  const query = (body: object, format = 'xlsx', headers = nazionale) => app.inject({ method: 'POST', url: `/v1/cubes/prestazioni/query?format=${format}`, headers, payload: body });
  const datePattern = /^Dati aggiornati al (\d\d\/\d\d\/\d{4}, \d\d:\d\d)/;

  await t.test('quota_popolazione: number cells whose format shows the share, never 0.00% for a non-zero value', async (t) => {
    const body = { measures: ['beneficiari', 'quota_popolazione'], rows: ['regione'], columns: ['genere'], totals: true };
    const json = (await query(body, 'json')).json() as QueryResult;
    const shares = json.rows.map((r) => r.quota_popolazione).filter((v): v is number => typeof v === 'number' && v > 0);
    t.ok(shares.length > 10 && Math.min(...shares) < 0.0005, `real shares are small (min ${Math.min(...shares)})`);
    const ws = (await workbook((await query(body)).rawPayload)).getWorksheet('Dati')!;
    const ySplit = (ws.views[0] as { ySplit: number }).ySplit;
    const header = ws.getRow(ySplit);
    let checked = 0;
    ws.eachRow((row, n) => {
      if (n <= ySplit) return;
      for (let c = 3; c <= row.cellCount; c++) {
        if (header.getCell(c).value !== '% beneficiari su popolazione residente') continue;
        const cell = row.getCell(c);
        if (cell.value === null || cell.value === 'n.d.') continue;
        t.equal(cell.type, ExcelJS.ValueType.Number);
        t.match(cell.numFmt, /^0\.0+%$/);
        if ((cell.value as number) > 0) t.not(Number(shown(cell.value as number, cell.numFmt)), 0, `${cell.value} shows as ${shown(cell.value as number, cell.numFmt)}%`);
        checked++;
      }
    });
    t.ok(checked > 10, `${checked} shares checked`);
  });

  await t.test('crosstab columns in declared member order even when the data arrive otherwise', async (t) => {
    // Ordered by beneficiari descending, Femmina (2) comes first in the data where women are more.
    const body = { measures: ['beneficiari'], rows: ['regione'], columns: ['genere'], order: [{ by: 'beneficiari', direction: 'desc' }], totals: true };
    const json = (await query(body, 'json')).json() as QueryResult;
    const genere = json.columns.find((c) => c.name === 'genere')!;
    t.same(genere.members, [1, 2], 'the answer carries the declared order');
    const ws = (await workbook((await query(body)).rawPayload)).getWorksheet('Dati')!;
    const ySplit = (ws.views[0] as { ySplit: number }).ySplit;
    const labels = (ws.getRow(ySplit - 1).values as unknown[]).slice(3);
    t.same(labels, ['Maschio', 'Femmina', 'Totale']);
    const csv = parse((await query(body, 'csv')).body) as string[][];
    t.same(csv[0], ['regione', 'regione_label', 'beneficiari_1', 'beneficiari_2', 'beneficiari_Totale']);
  });

  await t.test('a dimension labelled "Codice …" is not headed "Codice codice …"', async (t) => {
    const ws = (await workbook((await query({ measures: ['beneficiari'], rows: ['codice_prestazione'] })).rawPayload)).getWorksheet('Dati')!;
    const ySplit = (ws.views[0] as { ySplit: number }).ySplit;
    t.same([ws.getRow(ySplit).getCell(1).value, ws.getRow(ySplit).getCell(2).value], ['Codice prestazione', 'Descrizione prestazione']);
    t.equal(ws.getRow(ySplit + 1).getCell(1).type, ExcelJS.ValueType.String, 'codes are text');
  });

  await t.test('report workbooks: readable unique sheet names, no empty sheet, the same date as the query exports', async (t) => {
    const queryDate = datePattern.exec(String((await workbook((await query({ measures: ['beneficiari'], rows: ['regione'] })).rawPayload)).getWorksheet('Dati')!.getCell('A2').value))?.[1];
    t.ok(queryDate, 'the query export states its data date');
    const reports = [['quadro_ats', atsUser], ['confronti_locali', atsUser], ['quadro_regionale', await demo.as({ profile: 'regionale', scope: regione })]] as const;
    for (const [name, headers] of reports) {
      const res = await app.inject({ method: 'POST', url: `/v1/reports/${name}?format=xlsx`, headers, payload: {} });
      t.equal(res.statusCode, 200, name);
      t.notOk(res.headers['content-length'], `${name}: streamed, no length known in advance`);
      const json = (await app.inject({ method: 'POST', url: `/v1/reports/${name}`, headers, payload: {} })).json() as Row & { kpis: unknown[]; tables: { title: { it: string } }[] };
      const wb = await workbook(res.rawPayload);
      const names = wb.worksheets.map((w) => w.name);
      t.equal(new Set(names.map((n) => n.toLowerCase())).size, names.length, `${name}: sheet names unique`);
      t.equal(names.includes('Indicatori'), json.kpis.length > 0, `${name}: an Indicatori sheet only with indicators`);
      json.tables.forEach((tb, i) => {
        const sheet = names[(json.kpis.length > 0 ? 1 : 0) + i];
        t.ok(sheet.length <= 31, sheet);
        const titleWords = new Set(`${i + 1} ${tb.title.it}`.split(' '));
        for (const w of sheet.replace(/ \(\d+\)$/, '').split(' ')) t.ok(titleWords.has(w) || w.endsWith('.'), `${sheet}: "${w}" is a whole word of "${tb.title.it}" or an abbreviation`);
      });
      for (const ws of wb.worksheets) {
        let filled = 0;
        ws.eachRow(() => filled++);
        t.ok(filled >= 2, `${name} / ${ws.name}: not empty (${filled} rows)`);
        if (ws.name === 'Definizioni') continue;
        const dateLine = [1, 2, 3, 4, 5].map((r) => String(ws.getRow(r).getCell(1).value ?? '')).find((v) => datePattern.test(v));
        t.equal(datePattern.exec(dateLine ?? '')?.[1], queryDate, `${name} / ${ws.name}: the query exports' date format`);
      }
    }
  });

  await t.test('the PON sheet writes its dates day/month/year', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/v1/pon/avviso3/scheda?format=xlsx', headers: atsUser, payload: { fine_periodo: '2019-12-31' } });
    const ws = (await workbook(res.rawPayload)).getWorksheet('Scheda monitoraggio fisico')!;
    t.match(String(ws.getCell('A3').value), /^Periodo: dal \d\d\/\d\d\/\d{4} .* al 31\/12\/2019; valori cumulati$/);
    t.match(String(ws.getCell('A2').value), new RegExp(`^Ambito territoriale sociale: .+ \\(${ats}\\)$`), 'the ATS by name and code');
  });
});

t.test('one date text for captions', async (t) => {
  t.equal(dateTimeText('2026-12-02T02:16:00.000Z'), '02/12/2026, 03:16', 'Rome time, four-digit year');
  t.equal(dateTimeText('2026-07-01T22:30:00.000Z'), '02/07/2026, 00:30', 'summer time');
});
