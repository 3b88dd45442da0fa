/**
 * Data files read in JavaScript: NDJSON as a stream of records (the row-by-row
 * loader), CSV as a stream of records where the engine's reader cannot say
 * where a broken file breaks, and a Parquet file's footer (its columns). CSV
 * and Parquet rows are otherwise read by the engine (server/load/raw-stage.ts).
 * Nothing is buffered whole.
 */
import { parse } from 'csv-parse';
import { createInterface } from 'node:readline';
import { Readable, Transform } from 'node:stream';
import { asyncBufferFromFile, parquetMetadataAsync, parquetSchema } from 'hyparquet';
import { REASONS } from './validate.ts';

export type FileFormat = 'csv' | 'ndjson' | 'parquet';
export const FILE_FORMATS: readonly FileFormat[] = ['csv', 'ndjson', 'parquet'];

export type Encoding = 'utf-8' | 'latin1';
export const ENCODINGS: readonly Encoding[] = ['utf-8', 'latin1'];

export interface SourceRecord {
  /** Line of the file where the record starts, 1-based. */
  line: number;
  /** CSV: the fields, in the order of `columns()`. */
  fields?: string[];
  /** NDJSON: values by column name. */
  values?: Record<string, unknown>;
  /** A problem with the record as a whole (wrong number of fields, invalid JSON). */
  problem?: string;
}

export interface RecordSource {
  /** Column names of the file, once known (the CSV header; undefined for NDJSON). */
  columns(): Promise<string[] | undefined>;
  records: AsyncIterable<SourceRecord>;
}

export interface CsvOptions {
  separator: string;
  encoding: Encoding;
}

/**
 * The file itself is broken (a quote never closed, a Parquet file without its
 * footer): the client's input, reported with the line where it goes wrong.
 */
export class FileError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'FileError';
  }
}

/** Decodes bytes to text as they arrive; Latin-1 is read as Windows-1252 (a superset that also has the euro sign). */
function decoder(encoding: Encoding): Transform {
  const text = new TextDecoder(encoding === 'latin1' ? 'windows-1252' : 'utf-8');
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      done(null, text.decode(chunk, { stream: true }));
    },
    flush(done) {
      done(null, text.decode());
    },
  });
}

export function csvRecords(bytes: Readable, o: CsvOptions): RecordSource {
  let header: string[] | undefined;
  let resolveHeader: (h: string[] | undefined) => void = () => {};
  const headerKnown = new Promise<string[] | undefined>((r) => (resolveHeader = r));
  // Line numbers are counted here (csv-parse's per-record info costs a third of the parse): one per record plus the newlines inside quoted fields.
  const parser = parse({ delimiter: o.separator, bom: true, relax_column_count: true, skip_empty_lines: false, relax_quotes: false });
  bytes.on('error', (err) => parser.destroy(err));
  // The parser may fail (a quote never closed) before the records are read: the error is raised when they are.
  parser.on('error', () => undefined);
  bytes.pipe(decoder(o.encoding)).pipe(parser);
  async function* records(): AsyncGenerator<SourceRecord> {
    let line = 1;
    try {
      for await (const record of parser as AsyncIterable<string[]>) {
        const start = line;
        line++;
        for (const field of record) if (field.includes('\n')) line += field.split('\n').length - 1;
        if (record.length === 1 && record[0] === '') continue; // an empty line
        if (!header) {
          header = record.map((h) => h.trim());
          resolveHeader(header);
          continue;
        }
        yield record.length === header.length ? { line: start, fields: record } : { line: start, fields: record, problem: REASONS.fieldCount(record.length, header.length, o.separator) };
      }
    } catch (err) {
      const code = (err as { code?: string }).code;
      // Records parsed ahead of the one consumed are lost with the error: the parser's own count says where the broken record starts.
      const parsed = err as { records?: number; empty_lines?: number };
      if (code?.startsWith('CSV_')) throw new FileError(csvProblem(code, (err as Error).message), Math.max(line, (parsed.records ?? 0) + (parsed.empty_lines ?? 0) + 1));
      throw err;
    } finally {
      resolveHeader(header);
    }
  }
  return { columns: () => headerKnown, records: records() };
}

export function csvProblem(code: string, message: string): string {
  if (code === 'CSV_QUOTE_NOT_CLOSED') return 'virgolette aperte e mai chiuse: il file è troncato o un campo contiene una virgoletta non raddoppiata';
  if (code === 'CSV_INVALID_CLOSING_QUOTE' || code === 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE') return 'carattere dopo una virgoletta di chiusura: una virgoletta dentro un campo va raddoppiata ("")';
  return `CSV non leggibile (${message.split('\n')[0]})`;
}

export function ndjsonRecords(bytes: Readable, encoding: Encoding): RecordSource {
  const decoded = bytes.pipe(decoder(encoding));
  bytes.on('error', (err) => decoded.destroy(err));
  async function* records(): AsyncGenerator<SourceRecord> {
    let line = 0;
    for await (const text of createInterface({ input: decoded, crlfDelay: Infinity })) {
      line++;
      if (!text.trim()) continue;
      try {
        const value = JSON.parse(text) as unknown;
        if (value === null || typeof value !== 'object' || Array.isArray(value)) yield { line, values: {}, problem: 'la riga non è un oggetto JSON' };
        else yield { line, values: value as Record<string, unknown> };
      } catch (err) {
        yield { line, values: {}, problem: `JSON non valido: ${(err as Error).message}` };
      }
    }
  }
  return { columns: async () => undefined, records: records() };
}

export interface ParquetShape {
  rows: number;
  /** Column names, each with how its values become text: floats and timestamps are told apart. */
  columns: Map<string, 'text' | 'float' | 'timestamp'>;
}

/** A Parquet file's columns and row count, from its footer (the engine reads the rows). */
export async function parquetShape(path: string): Promise<ParquetShape> {
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file).catch((err: Error) => {
    throw new FileError(`file Parquet non leggibile (${err.message}): il file è troncato o non è un Parquet`);
  });
  const columns = new Map(
    parquetSchema(metadata).children.map(({ element: e }) => {
      const timestamp = e.type === 'INT96' || e.logical_type?.type === 'TIMESTAMP' || e.converted_type === 'TIMESTAMP_MILLIS' || e.converted_type === 'TIMESTAMP_MICROS';
      return [e.name, e.type === 'FLOAT' || e.type === 'DOUBLE' ? 'float' : timestamp ? 'timestamp' : 'text'] as const;
    }),
  );
  return { rows: Number(metadata.num_rows), columns };
}
