/** Row rules and file readers without an engine: each value checked against hand-written expectations. */
import t from 'tap';
import { Readable } from 'node:stream';
import { csvRecords, ndjsonRecords, type RecordSource } from '../server/load/readers.ts';
import { compileValidator, Invalid, parserFor, type ReferenceData } from '../server/load/validate.ts';
import { loadModel, readDir } from '../server/model/load.ts';
import { SAD_CUBE } from './fixtures/sad-cube.ts';

const model = loadModel({ files: { ...readDir('cubes'), 'cubes/sad_test.yaml': SAD_CUBE } });
const table = model.tables.get('sad_test')!;
const refs: ReferenceData = {
  codes: new Map([['territorio.comune', new Set(['058091', '001272'])]]),
  lookups: new Map([['territorio.comune.ats', new Map<string, unknown>([['058091', 'ATS12001'], ['001272', 'ATS01003']])]]),
};
const validator = compileValidator(table, refs);

t.test('a valid row is typed, and the lookup column comes from the reference table', async (t) => {
  const r = validator.check({ anno: '2024', utente_id: '18446744073709551615', comune: '058091', eta: '81', genere: '2', ore: '120,5', inizio: '03/02/2024', note: '' });
  // In the table's column order: anno, utente_id, comune, ats, eta, genere, ore, inizio, note.
  t.same(r, { ok: true, values: [2024, '18446744073709551615', '058091', 'ATS12001', 81, 2, '120.5', '2024-02-03', null] });
  const byHeader = validator.forHeader(['note', 'comune', 'anno', 'utente_id', 'eta', 'genere', 'ore', 'extra']);
  t.same(byHeader(['x', '001272', '2023', '5', '40', '1', '3', 'ignored']), { ok: true, values: [2023, '5', '001272', 'ATS01003', 40, 1, '3', null, 'x'] }, 'CSV fields are matched to columns by the header');
});

t.test('every broken rule gives its column and reason', async (t) => {
  const r = validator.check({ anno: '20x4', utente_id: '-1', comune: '999999', eta: '300', genere: '3', ore: '1,25', inizio: '31/02/2024' });
  t.equal(r.ok, false);
  if (r.ok) return;
  t.same(
    r.errors.map((e) => [e.column, e.reason]),
    [
      ['anno', 'non è un numero intero'],
      ['utente_id', "fuori dall'intervallo di UInt64 (0..18446744073709551615)"],
      ['comune', 'codice sconosciuto (non presente in territorio.comune)'],
      ['eta', "fuori dall'intervallo di UInt8 (0..255)"],
      ['genere', 'valore non ammesso (ammessi: 1, 2)'],
      ['ore', 'ha 2 cifre decimali, al massimo 1'],
      ['inizio', 'data inesistente'],
    ],
  );
  const missing = validator.check({ anno: '2024', comune: '058091', eta: '5', genere: '1', ore: '1' });
  t.same(missing.ok ? [] : missing.errors.map((e) => [e.column, e.reason]), [['utente_id', 'valore obbligatorio mancante']]);
});

t.test('an empty field of a required free-text column is the empty string; of a coded column, a missing value', async (t) => {
  const free = compileValidator(
    { name: 'x', file: 'x.yaml', orderBy: ['testo'], batch: [], columns: [{ name: 'testo', type: 'String', required: true }, { name: 'codice', type: 'String', required: true, values: ['a'] }] },
    { codes: new Map(), lookups: new Map() },
  );
  t.same(free.check({ testo: '', codice: 'a' }), { ok: true, values: ['', 'a'] });
  t.same(free.check({ testo: '\\N', codice: '' }), { ok: false, errors: [{ column: 'testo', reason: 'valore obbligatorio mancante' }, { column: 'codice', reason: 'valore obbligatorio mancante' }] });
});

t.test('a file without a required column is refused once, by name; undeclared columns are reported as ignored', async (t) => {
  t.same(validator.checkHeader(['anno', 'utente_id', 'comune', 'eta', 'ore', 'extra']), ['colonna obbligatoria assente nel file: genere']);
  t.same(validator.ignoredColumns(['anno', 'ats', 'extra']), ['ats', 'extra'], 'a lookup column in the file is ignored: it is always recomputed');
});

t.test('type parsers', async (t) => {
  t.same(parserFor('Decimal(18, 2)')('1234567890123456,12'), '1234567890123456.12');
  t.same(parserFor('Decimal(18, 2)')('12345678901234567'), new Invalid('ha più di 16 cifre intere'));
  t.same(parserFor('Decimal(18, 2)')('1.234,50'), new Invalid('non è un numero (usare il punto o la virgola per i decimali, senza separatore delle migliaia)'));
  t.same(parserFor('Decimal(18, 2)')(1.1500000000000001), '1.15', 'a Parquet decimal read as a binary float');
  t.same(parserFor('Decimal(10, 0)')(100), '100');
  t.same(parserFor('Decimal(10, 2)')(2.5), '2.5');
  t.same(parserFor('Decimal(10, 2)')(2.555), new Invalid('ha 3 cifre decimali, al massimo 2'));
  t.same(parserFor('Int8')('-128'), -128);
  t.same(parserFor('Int8')('128'), new Invalid("fuori dall'intervallo di Int8 (-128..127)"));
  t.same(parserFor('Date')('2024-02-29'), '2024-02-29');
  t.same(parserFor('Date')('2023-02-29'), new Invalid('data inesistente'));
  t.same(parserFor('DateTime')('2024-05-01T08:30'), '2024-05-01 08:30:00');
  t.same(parserFor('Bool')('Sì'), true);
  t.same(parserFor('Float64')('1,5e3'), 1500);
  t.same(parserFor('String')('caff\uFFFD'), new Invalid('contiene caratteri non validi in UTF-8: il file è forse in Latin-1 (opzione encoding latin1)'));
});

async function collect(source: RecordSource) {
  const out = [];
  for await (const r of source.records) out.push(r);
  return out;
}

t.test('CSV: separator, Latin-1, quoted fields over two lines, BOM, wrong field counts; line numbers of the file', async (t) => {
  const text = 'anno;note\r\n2024;"Caffè; latte"\r\n2024;"due\nrighe"\r\n2024\r\n\r\n2025;€ 5\r\n';
  const latin1 = Buffer.from(text.replace('€', '\x80'), 'latin1'); // 0x80 is the euro sign in Windows-1252
  const records = await collect(csvRecords(Readable.from([latin1.subarray(0, 7), latin1.subarray(7)]), { separator: ';', encoding: 'latin1' }));
  t.same(records.map((r) => [r.line, r.fields?.[1], r.problem]), [
    [2, 'Caffè; latte', undefined],
    [3, 'due\nrighe', undefined],
    [5, undefined, '1 campi invece di 2 (separatore ";")'],
    [7, '€ 5', undefined],
  ], 'each record at the line where it starts');
  const bom = await collect(csvRecords(Readable.from([Buffer.from('\uFEFFanno,note\n2024,x\n')]), { separator: ',', encoding: 'utf-8' }));
  const withBom = csvRecords(Readable.from([Buffer.from('\uFEFFanno,note\n2024,x\n')]), { separator: ',', encoding: 'utf-8' });
  t.same([await collect(withBom), await withBom.columns()], [[{ line: 2, fields: ['2024', 'x'] }], ['anno', 'note']], 'the byte-order mark is not part of the first column name');
});

t.test('NDJSON: one object per line, bad lines reported with their number', async (t) => {
  const records = await collect(ndjsonRecords(Readable.from([Buffer.from('{"anno":2024,"note":"a"}\n\n[1]\n{"anno":\n{"anno":2025}\n')]), 'utf-8'));
  t.same(records.map((r) => [r.line, r.values?.anno ?? null, r.problem ?? null]), [
    [1, 2024, null],
    [3, null, 'la riga non è un oggetto JSON'],
    [4, null, records[2].problem],
    [5, 2025, null],
  ]);
  t.match(records[2].problem, /^JSON non valido: /);
});

t.test('staging rows as TabSeparated; rejects counted once per row, totals by column and reason', async (t) => {
  const { tsvField, RejectTally } = await import('../server/load/staging.ts');
  t.equal(tsvField('a\tb\\c\nd\re'), 'a\\tb\\\\c\\nd\\re');
  t.same([tsvField(null), tsvField(undefined), tsvField(0), tsvField(true), tsvField('\\N')], ['\\N', '\\N', '0', 'true', '\\\\N']);
  const tally = new RejectTally(2);
  tally.add(3, [{ column: 'a', reason: 'codice sconosciuto (non presente in t.a)' }, { column: 'b', reason: 'x' }]);
  tally.add(7, [{ column: 'a', reason: 'codice sconosciuto (non presente in t.a)' }]);
  t.equal(tally.rows, 2);
  t.same(tally.summary([], ['z']), {
    first: [{ line: 3, column: 'a', reason: 'codice sconosciuto (non presente in t.a)' }, { line: 3, column: 'b', reason: 'x' }],
    totals: [{ column: 'a', reason: 'codice sconosciuto (non presente in t.a)', rows: 2 }, { column: 'b', reason: 'x', rows: 1 }],
    file: [],
    ignoredColumns: ['z'],
  });
});
