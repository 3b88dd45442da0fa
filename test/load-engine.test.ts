/**
 * The engine's validation of a load (server/load/engine-validate.ts) on a
 * hand-made file: every bad row at the line a person counts in an editor, with
 * the column, the reason and the value, through a byte-order mark, CRLF line
 * ends, quoted fields with commas, doubled quotes and newlines, an empty line,
 * `\N`, a day-first date and a decimal comma. The same file is also checked
 * row by row by the JavaScript validator the engine replaced: both must say
 * exactly the same. Then a Parquet file with bad values, by row number.
 */
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { referenceData } from '../server/load/prepare.ts';
import { csvRecords } from '../server/load/readers.ts';
import { runLoad } from '../server/load/run.ts';
import { compileValidator, type Rejection } from '../server/load/validate.ts';
import { sadEngine } from './helpers/sad-engine.ts';

const { engine, model, table: T } = await sadEngine(t);
const dir = mkdtempSync(join(tmpdir(), 'pas-engine-load-'));
const [{ ats }] = await engine.query<{ ats: string }>(`SELECT ats FROM ${engine.table('territorio')} WHERE comune = '058091'`);

// Line numbers as an editor shows them (the header is line 1); CRLF everywhere, a BOM before the header.
const LINES = [
  /*  1 */ '\uFEFFanno,utente_id,comune,eta,genere,ore,inizio,note',
  /*  2 */ '2024,1,058091,80,1,3,2024-01-15,"ok, with a comma"',
  /*  3 */ '2024,2,058091,81,2,4,,"two\r\nlines"', // the record goes on to line 4
  /*  5 */ '20x4,3,058091,40,1,5,,',
  /*  6 */ '2024,,058091,40,1,5,,',
  /*  7 */ '2024,5,999999,40,1,5,,',
  /*  8 */ '2024,6,058091,40,1,5,2023-02-29,',
  /*  9 */ '2024,7,058091,40,1,5',
  /* 10 */ '2024,8,058091,40,1,5,,,extra',
  /* 11 */ '"2024","9","058091","300","3","1,25","31/12/2024","quoted ""x"""',
  /* 12 */ '',
  /* 13 */ '2024,10,058091,50,2,"2,5",01/02/2024,\\N',
  /* 14 */ '2024,11,058091,50,2, 7 ,,"multi\nline, with ""quotes"""', // goes on to line 15
  /* 16 */ '2024,12,058091,50,1,abc,,',
];
const TEXT = LINES.join('\r\n') + '\r\n';

const EXPECTED: Rejection[] = [
  { line: 5, column: 'anno', reason: 'non è un numero intero', value: '20x4' },
  { line: 6, column: 'utente_id', reason: 'valore obbligatorio mancante' },
  { line: 7, column: 'comune', reason: 'codice sconosciuto (non presente in territorio.comune)', value: '999999' },
  { line: 8, column: 'inizio', reason: 'data inesistente', value: '2023-02-29' },
  { line: 9, column: '', reason: '6 campi invece di 8 (separatore ",")' },
  { line: 10, column: '', reason: '9 campi invece di 8 (separatore ",")' },
  { line: 11, column: 'eta', reason: "fuori dall'intervallo di UInt8 (0..255)", value: '300' },
  { line: 11, column: 'genere', reason: 'valore non ammesso (ammessi: 1, 2)', value: '3' },
  { line: 11, column: 'ore', reason: 'ha 2 cifre decimali, al massimo 1', value: '1,25' },
  { line: 16, column: 'ore', reason: 'non è un numero (usare il punto o la virgola per i decimali, senza separatore delle migliaia)', value: 'abc' },
];

const load = (o: { maxRejects?: number; checkOnly?: boolean; path?: string }) =>
  runLoad(engine, model, { table: 'sad_test', format: 'csv', fileName: 'mano.csv', ...(o.path ? { path: o.path } : { bytes: Readable.from([Buffer.from(TEXT)]) }), maxRejects: o.maxRejects, checkOnly: o.checkOnly });

t.test('every bad row at the line an editor shows, with its column, reason and value; totals by reason', async (t) => {
  const r = await load({ checkOnly: true });
  t.same([r.status, r.refusal, r.rowsRead, r.rowsRejected, r.rowsAccepted], ['rejected', 'rows', 12, 8, 4], '12 records (an empty line is none), 8 rejected');
  t.same(r.rejects.first, EXPECTED);
  t.same(
    r.rejects.totals,
    EXPECTED.map((e) => ({ column: e.column, reason: e.reason, rows: 1 })),
    'one row each, in order of first appearance',
  );
  t.equal(r.error, '8 righe scartate, nessuna ammessa (tutto o niente): nessuna riga caricata');
});

t.test('the engine says exactly what the row-by-row validator said', async (t) => {
  const validator = compileValidator(model.tables.get('sad_test')!, await referenceData(engine, model.tables.get('sad_test')!));
  const source = csvRecords(Readable.from([Buffer.from(TEXT)]), { separator: ',', encoding: 'utf-8' });
  const byRow: Rejection[] = [];
  let check: ((fields: readonly unknown[]) => ReturnType<typeof validator.check>) | undefined;
  for await (const rec of source.records) {
    check ??= validator.forHeader((await source.columns())!);
    const checked = rec.problem ? { ok: false as const, errors: [{ column: '', reason: rec.problem }] } : check(rec.fields!);
    if (!checked.ok) byRow.push(...checked.errors.map((e) => ({ line: rec.line, ...e })));
  }
  t.same(byRow, EXPECTED, 'the JavaScript validator on the same bytes');
});

t.test('within --max-rejects the valid rows load, quoted text kept byte for byte', async (t) => {
  const path = join(dir, 'mano.csv');
  writeFileSync(path, TEXT);
  for (const input of [{}, { path }]) {
    const r = await load({ maxRejects: 8, ...input });
    t.same([r.status, r.rowsRead, r.rowsAccepted, r.rowsRejected], ['succeeded', 12, 4, 8], r.error);
    t.same(r.rejects.first, EXPECTED, 'the same rejects from a stream and from a path');
    t.same(await engine.query(`SELECT utente_id, ats, toString(ore) AS ore, toString(inizio) AS inizio, note FROM ${T} ORDER BY utente_id`), [
      { utente_id: 1, ats, ore: '3', inizio: '2024-01-15', note: 'ok, with a comma' },
      { utente_id: 2, ats, ore: '4', inizio: null, note: 'two\r\nlines' },
      { utente_id: 10, ats, ore: '2.5', inizio: '2024-02-01', note: null },
      { utente_id: 11, ats, ore: '7', inizio: null, note: 'multi\nline, with "quotes"' },
    ]);
  }
  const tooMany = await load({ maxRejects: 7 });
  t.same([tooMany.status, tooMany.error], ['rejected', '8 righe scartate, al massimo 7 ammesse: nessuna riga caricata']);
});

t.test('Parquet: bad values reported by row number, the valid rows typed', async (t) => {
  const path = join(dir, 'bad.parquet');
  await engine.command(
    `INSERT INTO FUNCTION file({p:String}, 'Parquet') SELECT * FROM values('anno UInt16, utente_id Nullable(UInt64), comune String, eta Int32, genere UInt8, ore Float64, inizio Nullable(Date32), note Nullable(String)',
       (2023, 1, '058091', 40, 1, 2.3000000000000003, '2023-03-01', 'a'),
       (2023, NULL, '058091', 40, 1, 2, NULL, NULL),
       (2023, 3, '058091', 300, 1, 2, NULL, NULL),
       (2023, 4, '058091', 41, 3, 1.25, '1950-01-01', NULL),
       (2023, 5, '058091', 42, 2, 12.5, NULL, 'b'))
     SETTINGS engine_file_truncate_on_insert = 1`,
    { p: path },
  );
  const r = await runLoad(engine, model, { table: 'sad_test', format: 'parquet', fileName: 'bad.parquet', path, maxRejects: 3 });
  t.same([r.status, r.rowsRead, r.rowsAccepted, r.rowsRejected], ['succeeded', 5, 2, 3], r.error);
  t.same(r.rejects.first, [
    { line: 2, column: 'utente_id', reason: 'valore obbligatorio mancante' },
    { line: 3, column: 'eta', reason: "fuori dall'intervallo di UInt8 (0..255)", value: '300' },
    { line: 4, column: 'genere', reason: 'valore non ammesso (ammessi: 1, 2)', value: '3' },
    { line: 4, column: 'ore', reason: 'ha 2 cifre decimali, al massimo 1', value: '1.25' },
    { line: 4, column: 'inizio', reason: "data fuori dall'intervallo 1970-2149 (tipo Date: per date anteriori al 1970 la colonna va dichiarata Date32)", value: '1950-01-01' },
  ]);
  t.same(await engine.query(`SELECT utente_id, toString(ore) AS ore, toString(inizio) AS inizio, note FROM ${T} WHERE anno = 2023 ORDER BY utente_id`), [
    { utente_id: 1, ore: '2.3', inizio: '2023-03-01', note: 'a' },
    { utente_id: 5, ore: '12.5', inizio: null, note: 'b' },
  ], 'a binary float within rounding of one decimal is that decimal: 2.3000000000000003 (1.1 + 1.2) is 2.3');
});

t.test('the validation SQL reads a raw staging table (a server\'s, filled through input()) as it reads the file', async (t) => {
  const { csvSource } = await import('../server/load/raw-stage.ts');
  const { compileEngineCheck, summarizeRejects } = await import('../server/load/engine-validate.ts');
  const { sniffFile } = await import('../server/load/sniff.ts');
  const table = model.tables.get('sad_test')!;
  const path = join(dir, 'raw.csv');
  writeFileSync(path, TEXT);
  const head = await sniffFile(path, { expected: table.columns.map((c) => c.name) });
  const fromFile = await csvSource(engine, table, head, { path });
  // The raw table a server gets: every record's fields as text, numbered in file order (here filled from the file itself: input() needs a server).
  const raw = engine.table('_stg_raw_test');
  await engine.command(`CREATE TABLE ${raw} ENGINE = MergeTree ORDER BY _row AS SELECT * REPLACE (assumeNotNull(_row) AS _row) FROM ${fromFile.from} ${fromFile.settings}`, fromFile.params);
  const fromTable = { ...fromFile, from: raw, params: {}, settings: '' };
  const rows = [];
  for (const source of [fromFile, fromTable]) {
    const check = compileEngineCheck(engine, table, source, 100);
    const [row] = await engine.query<Parameters<typeof summarizeRejects>[1]>(check.checkSql, check.params, { nativeParams: true });
    rows.push(row);
  }
  t.same(rows[1], rows[0], 'the same answer from the table as from the file');
  t.same([Number(rows[0].records), Number(rows[0].rejected)], [12, 8]);
  await engine.command(`DROP TABLE ${raw} SYNC`);
});

t.test('the end of a CSV: a quote never closed is the file\'s problem at its line; a last record over two lines is not', async (t) => {
  const csv = (text: string) => runLoad(engine, model, { table: 'sad_test', format: 'csv', fileName: 'fine.csv', bytes: Readable.from([Buffer.from(text)]), allowShrink: true });
  const header = 'anno,utente_id,comune,eta,genere,note,ore';
  const twoLines = await csv(`${header}\n2022,1,058091,40,1,x,1\n2022,2,058091,40,1,"a\nb",5\n`);
  t.same([twoLines.status, twoLines.rowsRead, twoLines.rowsAccepted], ['succeeded', 2, 2], twoLines.error);
  t.same(await engine.query(`SELECT note, toString(ore) AS ore FROM ${T} WHERE anno = 2022 ORDER BY utente_id`), [{ note: 'x', ore: '1' }, { note: 'a\nb', ore: '5' }]);
  const quote = 'virgolette aperte e mai chiuse: il file è troncato o un campo contiene una virgoletta non raddoppiata';
  for (const [text, line] of [
    [`${header}\n2022,1,058091,40,1,x,1\n2022,2,058091,40,1,x,"5\n`, 3], // only the final newline inside the open quote
    [`${header}\n2022,1,058091,40,1,x,1\n2022,2,058091,40,1,x,"5`, 3], // no final newline
    [`${header}\n2022,1,058091,40,1,"x,1\n2022,2,058091,40,1,x,5\n`, 2], // the rest of the file inside the quote
  ] as const) {
    const r = await csv(text);
    t.same([r.status, r.refusal, r.rejects.file], ['rejected', 'file', [`riga ${line}: ${quote}`]], JSON.stringify(text));
  }
});
