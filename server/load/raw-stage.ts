/**
 * A load's file as the engine reads it, before any check: every field as text
 * (Nullable(String)) with its record's position in the file (`_row`, 0-based,
 * the CSV header included), read by ClickHouse's own CSV and Parquet readers.
 *
 * The embedded engine reads the file where it lies (`file()` on the path given
 * or on the spooled upload); a server cannot read our files, so the bytes are
 * streamed to it (`input()`) into a raw staging table, numbered in file order.
 * Either way the checks (server/load/engine-validate.ts) read the same
 * columns: one validation SQL for both transports.
 *
 * Values reach the SQL only as bound parameters (the path, the structure, the
 * separator); column names come from the validated model.
 */
import type { Readable } from 'node:stream';
import { quoteIdentifier, type Engine, type QueryParams } from '../engine/client.ts';
import type { TableColumn, TableDef } from '../model/types.ts';
import type { Encoding } from './readers.ts';
import { fileColumns } from './validate.ts';

/** Fields beyond the header's count a CSV record may have and still be counted exactly (more are reported as "at least"). */
export const SPARE_FIELDS = 8;

/** Text no CSV field can hold: the reader's NULL, so that only an absent field is NULL (`\N` and empty fields stay text, as before). */
const ABSENT = '\u0001\u0002pas-campo-assente\u0002\u0001';

export interface RawSource {
  /** A FROM item with `_row` and the file's columns. */
  from: string;
  params: QueryParams;
  /** SETTINGS of the queries that read `from` (the CSV reader's options), '' for a table. */
  settings: string;
  /** The text (Nullable(String)) of each table column read from the file; absent when the file lacks the column. */
  text: ReadonlyMap<string, string>;
  /** A column the file holds typed (Parquet read where it lies): its expression and ClickHouse type, for checks without going through text. */
  native?: ReadonlyMap<string, { expr: string; type: string }>;
  /** Records before the data (the CSV header and empty lines above it). */
  dataFrom: number;
  /** CSV: the record's number of fields, the newlines inside its fields, whether its last field has one, the header's number of fields. */
  csv?: { fields: string; newlines: string; lastFieldNewline: string; expected: number; separator: string };
}

export interface CsvShape {
  header: readonly string[];
  headerRecords: number;
  separator: string;
  encoding: Encoding;
}

/** The file's bytes: a local path the embedded engine reads, or a stream sent to a server into `raw`. */
export type RawBytes = { path: string } | { stream: Readable; raw: string };

type Settings = Record<string, string | number>;

/** The CSV reader's options: every field as it is written (no trimming, empty is empty, `\\N` is text), only double quotes. */
function csvSettings(separator: string, strict: boolean): Settings {
  return {
    input_format_csv_allow_variable_number_of_columns: strict ? 0 : 1,
    input_format_csv_empty_as_default: 0,
    input_format_csv_trim_whitespaces: 0,
    input_format_csv_detect_header: 0,
    input_format_csv_skip_first_lines: 0,
    format_csv_allow_single_quotes: 0,
    format_csv_allow_double_quotes: 1,
    input_format_allow_errors_num: 0,
    format_csv_null_representation: ABSENT,
    format_csv_delimiter: separator,
  };
}

/** Settings as a SETTINGS clause, text values bound as parameters (the separator is the client's). */
function settingsClause(settings: Settings): { sql: string; params: QueryParams } {
  const params: QueryParams = {};
  const parts = Object.entries(settings).map(([k, v]) => {
    if (typeof v === 'number') return `${k} = ${v}`;
    params[`raw_${k}`] = v;
    return `${k} = {raw_${k}:String}`;
  });
  return { sql: `SETTINGS ${parts.join(', ')}`, params };
}

const fieldNames = (n: number) => Array.from({ length: n }, (_, i) => `c${i + 1}`);

/**
 * A CSV as text fields. `strict`: exactly the header's number of fields on
 * every record, else the engine's reader stops with an error (the fastest
 * reading, for files without problems: the embedded engine tries it first);
 * otherwise any number of fields, absent ones NULL, counted exactly up to
 * SPARE_FIELDS more than the header's.
 */
export async function csvSource(engine: Engine, table: TableDef, shape: CsvShape, bytes: RawBytes, strict = false): Promise<RawSource> {
  const names = fieldNames(shape.header.length + (strict ? 0 : SPARE_FIELDS));
  const structure = names.map((n) => `${n} ${strict ? 'String' : 'Nullable(String)'}`).join(', ');
  const text = new Map<string, string>();
  for (const c of fileColumns(table)) {
    const at = shape.header.indexOf(c.name);
    if (at >= 0) text.set(c.name, shape.encoding === 'latin1' ? `convertCharset(c${at + 1}, 'windows-1252', 'utf-8')` : `c${at + 1}`);
  }
  const csv = {
    fields: strict ? String(names.length) : names.map((n) => `isNotNull(${n})`).join(' + '),
    newlines: names.map((n) => `countSubstrings(ifNull(${n}, ''), '\\n')`).join(' + '),
    lastFieldNewline: `position(ifNull(coalesce(${[...names].reverse().join(', ')}), ''), '\\n') > 0`,
    expected: shape.header.length,
    separator: shape.separator,
  };
  const settings = csvSettings(shape.separator, strict);
  if ('path' in bytes) {
    const clause = settingsClause(settings);
    const from = `(SELECT _row_number AS _row, * FROM file({raw_path:String}, 'CSV', {raw_structure:String}))`;
    return { from, params: { ...clause.params, raw_structure: structure, raw_path: bytes.path }, settings: clause.sql, text, dataFrom: shape.headerRecords, csv };
  }
  await fillRaw(engine, bytes, names, 'CSV', structure, settings);
  return { from: engine.table(bytes.raw), params: {}, settings: '', text, dataFrom: shape.headerRecords, csv };
}

/** How a Parquet column's values become the text the checks read. */
export type ParquetKind = 'text' | 'float' | 'timestamp';

export async function parquetSource(engine: Engine, table: TableDef, columns: ReadonlyMap<string, ParquetKind>, bytes: RawBytes): Promise<RawSource> {
  const read = fileColumns(table).filter((c) => columns.has(c.name));
  const text = new Map(read.map((c) => [c.name, parquetText(c, columns.get(c.name)!)]));
  if ('path' in bytes) {
    // Read where it lies, each column in its own type (as the engine reads it: checks need no text for valid values).
    const described = await engine.query<{ name: string; type: string }>(`DESCRIBE file({raw_path:String}, 'Parquet')`, { raw_path: bytes.path }, { nativeParams: true });
    const types = new Map(described.map((d) => [d.name, d.type]));
    const structure = read.map((c) => `${quoteIdentifier(c.name)} ${types.get(c.name)}`).join(', ') || 'pas_nessuna_colonna Nullable(String)';
    const native = new Map(read.map((c) => [c.name, { expr: quoteIdentifier(c.name), type: types.get(c.name)! }]));
    const typedText = new Map(read.map((c) => [c.name, columns.get(c.name) === 'text' ? `toString(${quoteIdentifier(c.name)})` : text.get(c.name)!]));
    return { from: `(SELECT _row_number AS _row, * FROM file({raw_path:String}, 'Parquet', {raw_structure:String}))`, params: { raw_structure: structure, raw_path: bytes.path }, settings: '', text: typedText, native, dataFrom: 0 };
  }
  const typeOf = (c: TableColumn) => (columns.get(c.name) === 'float' ? 'Nullable(Float64)' : 'Nullable(String)');
  const structure = read.map((c) => `${quoteIdentifier(c.name)} ${typeOf(c)}`).join(', ') || 'pas_nessuna_colonna Nullable(String)';
  await fillRaw(engine, bytes, read.map((c) => c.name), 'Parquet', structure, { input_format_parquet_preserve_order: 1 }, read.map(typeOf));
  return { from: engine.table(bytes.raw), params: {}, settings: '', text, dataFrom: 0 };
}

/**
 * The text of a Parquet value as the row-by-row loader saw it: a float meant
 * as a decimal within rounding error of its scale is written with those
 * decimals (1.1500000000000001 is 1.15); a timestamp is cut to the date (or
 * date and time) a Date (DateTime) column takes.
 */
function parquetText(c: TableColumn, kind: ParquetKind): string {
  const x = quoteIdentifier(c.name);
  const scale = /^Decimal\(\d+, ?(\d+)\)$/.exec(c.type)?.[1];
  if (kind === 'float' && scale !== undefined)
    return `if(abs(round(${x}, ${scale}) - ${x}) <= 2.220446049250313e-16 * greatest(1, abs(${x})) * 8, toString(round(${x}, ${scale})), toString(${x}))`;
  if (kind === 'float') return `toString(${x})`;
  if (kind === 'timestamp' && (c.type === 'Date' || c.type === 'Date32')) return `substring(toString(${x}), 1, 10)`;
  if (kind === 'timestamp' && c.type === 'DateTime') return `substring(toString(${x}), 1, 19)`;
  if (kind === 'timestamp') return `toString(${x})`;
  return x;
}

/**
 * Streams the file to the server into the raw staging table, each record with
 * its position (one reading thread, so that rows are numbered in file order).
 */
async function fillRaw(engine: Engine, bytes: { stream: Readable; raw: string }, names: readonly string[], format: 'CSV' | 'Parquet', structure: string, settings: Settings, types?: readonly string[]): Promise<void> {
  const columns = names.map((n, i) => `${quoteIdentifier(n)} ${types?.[i] ?? 'Nullable(String)'}`);
  await engine.command(`CREATE TABLE ${engine.table(bytes.raw)} (_row UInt64, ${columns.join(', ')}) ENGINE = MergeTree ORDER BY _row`);
  // The reader's options go with the request (they must hold when input() is created), not in the SQL.
  await engine.insertStream(
    `INSERT INTO ${engine.table(bytes.raw)} SELECT rowNumberInAllBlocks() AS _row, * FROM input({raw_structure:String}) FORMAT ${format}`,
    { raw_structure: structure },
    bytes.stream,
    { ...settings, max_threads: 1, max_insert_threads: 1 },
  );
}
