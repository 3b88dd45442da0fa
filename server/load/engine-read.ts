/**
 * CSV and Parquet, read and checked by the engine: the file goes to the
 * engine's own reader as text (server/load/raw-stage.ts), one query checks
 * every row and reports the rejected ones with their line, column and reason
 * (server/load/engine-validate.ts), and, when the load may go on, a second
 * one writes the valid rows, typed, into the staging table. JavaScript only
 * sees the bytes pass (SHA-256, size, lines for progress), never parses them;
 * it reads a CSV itself only to say where a file the engine could not read
 * breaks.
 *
 * A file on disk (npm run load) is read where it lies, tallied while the
 * engine reads it; an upload is spooled first (the embedded engine reads
 * files) or streamed to a server.
 */
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Readable } from 'node:stream';
import { ByteTally, QUOTE, tallyFile } from './byte-tally.ts';
import { compileEngineCheck, summarizeRejects, type CheckRow, type CsvContext } from './engine-validate.ts';
import { refusalAfterReading } from './guards.ts';
import { csvRecords, csvProblem, FileError, parquetShape } from './readers.ts';
import type { Reading, ReadOutcome } from './reading.ts';
import { csvSource, parquetSource, type RawBytes, type RawSource } from './raw-stage.ts';
import { separatorName, sniffCsv, sniffFile, type SniffedHead } from './sniff.ts';
import { spoolPath, spoolTo } from './spool.ts';
import { headerProblems, ignoredColumns } from './validate.ts';

interface Opened {
  source: RawSource;
  /** The file's column names (CSV header, Parquet schema). */
  columns: string[];
  notes: string[];
  /** Said when the header's columns are missing and another separator would have found them. */
  hint?: string;
  tally: ByteTally;
  /** Every byte tallied (a file on disk is tallied while the engine reads it). */
  tallied: Promise<unknown>;
  csv?: CsvContext & { head: SniffedHead; path?: string };
  /**
   * The data records the file has if every one of them is a single line (CSV)
   * or as its footer says (Parquet): when the staging table got that many
   * rows, every record was valid and nothing needs to be read again.
   */
  records(): number;
  /** `source` reads a CSV strictly (a record with another number of fields stops it). */
  strict: boolean;
  /** The source that reads every record, whatever its number of fields. */
  tolerant(): Promise<RawSource>;
}

/** A parse error of the engine's reader (by the error's type, also in the message's last parenthesis): the file is the client's problem, not the engine's. */
const READ_ERROR = /^(CANNOT_PARSE_[A-Z_]+|INCORRECT_DATA|CANNOT_READ_ALL_DATA|TOO_LARGE_STRING_SIZE|INCORRECT_NUMBER_OF_COLUMNS|CANNOT_EXTRACT_TABLE_STRUCTURE)$/;
const isReadError = (err: Error) => READ_ERROR.test((err as { type?: string }).type ?? /\(([A-Z_]+)\)\s*$/.exec(err.message)?.[1] ?? '');

export async function readWithEngine(r: Reading): Promise<ReadOutcome> {
  const { engine, input, table, record, progress } = r;
  const file = input.format === 'csv' ? await openCsv(r) : await openParquet(r);
  const keep = input.reportRejects ?? 100;
  const maxRejects = input.maxRejects ?? 0;
  const headerOk = headerProblems(table, file.columns).length === 0;
  const staged = async () => Number((await engine.query<{ n: number }>(`SELECT count() AS n FROM ${engine.table(r.staging)}`))[0].n);

  // Optimistic: the valid rows go to staging in one pass; the file is read again only when some record was not valid.
  let inserted = false;
  if (headerOk) {
    const first = compileEngineCheck(engine, table, file.source, keep);
    try {
      await engine.command(first.insertSql(r.staging), first.params);
      inserted = true;
    } catch (err) {
      // A strict reading stops at a record with another number of fields: the rows are then read with the tolerant reader.
      if (!(file.strict && isReadError(err as Error))) throw await readError(err as Error, file);
      await engine.command(`TRUNCATE TABLE ${engine.table(r.staging)}`);
    }
  }
  let valid = inserted ? await staged() : 0;
  await file.tallied;
  const checksum = file.tally.digest();
  const notes = file.notes.length ? { notes: file.notes } : {};
  if (inserted && valid === file.records() && !(file.csv && lastLineOpen(file))) {
    Object.assign(record, { rowsRead: valid, rowsRejected: 0, rowsAccepted: valid });
    progress.report();
    const rejects = { first: [], totals: [], file: [], ignoredColumns: valid > 0 ? ignoredColumns(table, file.columns) : [], ...notes };
    return { checksum, fileProblems: [], rejects, refusal: refusalAfterReading({ ...input, ...record, checksum, fileProblems: [], maxRejects }) };
  }

  const check = compileEngineCheck(engine, table, await file.tolerant(), keep);
  const [row] = await readingFile(file, () => engine.query<CheckRow>(check.checkSql, check.params, { nativeParams: true }));
  const lines = await lineNumbers(r, check, row, file);
  record.rowsRead = Number(row.records);
  if (file.csv && unclosedQuote(row, file)) throw new FileError(csvProblem('CSV_QUOTE_NOT_CLOSED', ''), lines.get(Number(row.last_row)));
  const fileProblems = record.rowsRead > 0 ? headerProblems(table, file.columns) : [];
  if (fileProblems.length && file.hint) fileProblems.push(file.hint);
  const summary = fileProblems.length ? { first: [], totals: [] } : summarizeRejects(table, row, lines, keep, file.csv);
  record.rowsRejected = fileProblems.length ? 0 : Number(row.rejected);
  record.rowsAccepted = inserted || fileProblems.length ? valid : record.rowsRead - record.rowsRejected;
  const rejects = { ...summary, file: fileProblems, ignoredColumns: record.rowsRead > 0 ? ignoredColumns(table, file.columns) : [], ...notes };
  const refusal = refusalAfterReading({ ...input, ...record, checksum, fileProblems, maxRejects });
  if (!inserted && !refusal && !fileProblems.length) {
    await readingFile(file, () => engine.command(check.insertSql(r.staging), check.params));
    valid = record.rowsAccepted = await staged();
  }
  progress.report();
  return { checksum, fileProblems, rejects, refusal };
}

/** Runs a statement that reads the file: the engine's read errors become the client's file problems. */
async function readingFile<T>(file: Opened, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw await readError(err as Error, file);
  }
}

/** Tallies a stream as it passes; progress counts its lines as rows until the engine has counted them. */
function tallying(r: Reading, countLines: boolean): { tally: ByteTally; onChunk: () => void } {
  const tally = new ByteTally(countLines);
  const onChunk = () => {
    r.progress.bytesRead = tally.bytes;
    if (countLines) r.record.rowsRead = Math.max(0, tally.lines - 1);
    r.progress.report();
  };
  return { tally, onChunk };
}

function tallied(stream: Readable, tally: ByteTally, onChunk: () => void): Readable {
  const counted = stream.pipe(tally.transform(onChunk));
  stream.on('error', (err) => counted.destroy(err));
  return counted;
}

async function spool(r: Reading, bytes: Readable, ext: string): Promise<string> {
  const path = spoolPath(r.input.spoolDir ?? tmpdir(), ext);
  r.spools.push(path);
  await spoolTo(bytes, path);
  return path;
}

/** Where the engine reads the bytes: the embedded one reads files, a server gets them streamed into the raw table. */
const rawBytes = (r: Reading, path: string): RawBytes => (r.engine.transport === 'embedded' ? { path } : { stream: createReadStream(path), raw: r.raw });

async function openCsv(r: Reading): Promise<Opened> {
  const { engine, input, table } = r;
  const { tally, onChunk } = tallying(r, true);
  const options = { separator: input.separator, encoding: input.encoding, expected: table.columns.map((c) => c.name) };
  let head: SniffedHead;
  let bytes: RawBytes;
  let done: Promise<unknown> = Promise.resolve();
  let path = input.path;
  if (path) {
    head = await sniffFile(path, options);
    done = tallyFile(path, tally, onChunk);
    done.catch(() => undefined); // awaited after the engine's pass
    bytes = rawBytes(r, path);
  } else {
    if (!input.bytes) throw new FileError('nessun dato da caricare');
    const sniffed = await sniffCsv(tallied(input.bytes, tally, onChunk), options);
    head = sniffed;
    if (engine.transport === 'embedded') bytes = { path: (path = await spool(r, sniffed.bytes, 'csv')) };
    else bytes = { stream: sniffed.bytes, raw: r.raw };
  }
  const csv = { head, path, expected: head.header.length, separator: head.separator };
  // The embedded engine reads the file twice at most: strictly first (the fast reader), tolerantly if that fails.
  const strict = 'path' in bytes;
  let source: RawSource;
  try {
    source = await csvSource(engine, table, head, bytes, strict);
  } catch (err) {
    throw await readError(err as Error, { csv } as unknown as Opened);
  }
  const tolerant = strict ? () => csvSource(engine, table, head, bytes) : async () => source;
  const hint =
    head.best !== head.separator
      ? `l'intestazione sembra separata da ${separatorName(head.best)}, non da ${separatorName(head.separator)}: togliere l'opzione del separatore (è rilevato da solo) oppure indicare --separator '${head.best === '\t' ? '\\t' : head.best}' (separator=${encodeURIComponent(head.best)})`
      : undefined;
  return { source, columns: head.header, notes: head.notes, hint, tally, tallied: done, csv, records: () => tally.totalLines - head.headerRecords, strict, tolerant };
}

async function openParquet(r: Reading): Promise<Opened> {
  const { input, table } = r;
  const { tally, onChunk } = tallying(r, false);
  let done: Promise<unknown> = Promise.resolve();
  let path = input.path;
  if (path) {
    done = tallyFile(path, tally, onChunk);
    done.catch(() => undefined);
  } else if (input.bytes) path = await spool(r, tallied(input.bytes, tally, onChunk), 'parquet');
  else throw new FileError('nessun dato da caricare');
  const shape = await parquetShape(path);
  const source = await parquetSource(r.engine, table, shape.columns, rawBytes(r, path));
  return { source, columns: [...shape.columns.keys()], notes: [], tally, tallied: done, records: () => shape.rows, strict: false, tolerant: async () => source };
}

/**
 * The line where each needed record starts: its position plus the newlines
 * inside quoted fields of the records before it (one more pass over the file,
 * only when there are such fields and rejected rows to place).
 */
async function lineNumbers(r: Reading, check: ReturnType<typeof compileEngineCheck>, row: CheckRow, file: Opened): Promise<Map<number, number>> {
  const rows = [...new Set([...row.first.map(([n]) => Number(n)), Number(row.last_row)])].sort((a, b) => a - b);
  const lines = new Map(rows.map((n) => [n, n + 1]));
  if (!Number(row.newline_rows) || !file.csv || !(row.first.length || unclosedQuote(row, file))) return lines;
  const buckets = await r.engine.query<{ bucket: number; n: number }>(check.newlinesSql, { ...check.params, rows }, { nativeParams: true });
  const before = new Map(buckets.map((b) => [Number(b.bucket), Number(b.n)]));
  let sum = 0;
  rows.forEach((n, i) => {
    sum += before.get(i + 1) ?? 0;
    lines.set(n, n + 1 + sum);
  });
  return lines;
}

/**
 * A quote never closed: the engine's reader takes the rest of the file into
 * the last field, where the row-by-row reader refused the file. Seen from the
 * end: the last record's last field spans lines and the file does not end
 * with a closing quote, or the last record is one line with an odd number of
 * quotes that does not end with one.
 */
function unclosedQuote(row: CheckRow, file: Opened): boolean {
  return (Boolean(Number(row.last_field_newline)) && file.tally.lastByte !== QUOTE) || (lastLineOpen(file) && Number(row.last_newlines) === 0);
}

/** The last line has an odd number of quotes and does not end with one: the file may end inside a quoted field (the check pass decides). */
const lastLineOpen = (file: Opened) => file.tally.quotesOnLastLine % 2 === 1 && file.tally.lastByte !== QUOTE;

/** An engine error reading the file, as the client's problem with its line where it can be found. */
async function readError(err: Error, file: Opened): Promise<Error> {
  const first = err.message.split('\n')[0].slice(0, 300);
  if (!isReadError(err)) return err;
  if (!file.csv) return new FileError(`gruppo di righe illeggibile nel file Parquet (${first})`);
  // The row-by-row reader says where the file breaks, in the words it always used.
  if (file.csv.path)
    try {
      for await (const _ of csvRecords(createReadStream(file.csv.path), { separator: file.csv.head.separator, encoding: file.csv.head.encoding }).records);
    } catch (found) {
      if (found instanceof FileError) return found;
    }
  const at = /\(at row (\d+)\)/.exec(err.message);
  return new FileError(`CSV non leggibile (${first})`, at ? Number(at[1]) : undefined);
}
