/**
 * A CSV's separator and encoding, read from its first bytes when the caller
 * did not say: the separator that splits the header into the declared column
 * names, Latin-1 when the first lines are not valid UTF-8; and its header
 * record. The bytes are handed on untouched (the peeked head first).
 */
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { FileError, type Encoding } from './readers.ts';

export const SEPARATORS = [',', ';', '\t', '|'] as const;
const PEEK_BYTES = 64 * 1024;

export interface SniffedHead {
  separator: string;
  encoding: Encoding;
  /** What was detected (not given), for the report, e.g. 'separatore ";" rilevato dall\'intestazione'. */
  notes: string[];
  /** The separator that best splits the header into declared columns (for a hint when the given one does not). */
  best: string;
  /** The header's column names (trimmed), as the CSV reader splits them with `separator`. */
  header: string[];
  /** Records before the data: the header and any empty lines above it. */
  headerRecords: number;
}

export interface Sniffed extends SniffedHead {
  bytes: Readable;
}

interface SniffOptions {
  separator?: string;
  encoding?: Encoding;
  expected: readonly string[];
}

/** Fields of a header line split on `sep` outside double quotes. */
export function headerFields(line: string, sep: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === sep && !quoted) {
      out.push(field.trim());
      field = '';
    } else field += ch;
  }
  out.push(field.trim());
  return out;
}

/** The separator giving the most declared column names, then the most fields; ',' when nothing splits the line. */
export function bestSeparator(header: string, expected: readonly string[]): string {
  const known = new Set(expected);
  let best: string = ',';
  let score = [-1, -1];
  for (const sep of SEPARATORS) {
    const fields = headerFields(header, sep);
    const s = [fields.filter((f) => known.has(f)).length, fields.length];
    if (s[0] > score[0] || (s[0] === score[0] && s[1] > score[1])) [best, score] = [sep, s];
  }
  return best;
}

/** UTF-8 unless the complete lines of the head are not valid UTF-8. */
export function guessEncoding(head: Buffer, complete: boolean): Encoding {
  const end = complete ? head.length : head.lastIndexOf(0x0a) + 1;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, end));
    return 'utf-8';
  } catch {
    return 'latin1';
  }
}

export const separatorName = (s: string) => (s === '\t' ? 'tabulazione' : `"${s}"`);

/** What the first bytes of a CSV say; `complete` when they are the whole file. */
export function sniffHead(head: Buffer, complete: boolean, o: SniffOptions): SniffedHead {
  const encoding = o.encoding ?? guessEncoding(head, complete);
  const decoded = new TextDecoder(encoding === 'latin1' ? 'windows-1252' : 'utf-8').decode(head);
  const text = decoded.slice(0, 4096).replace(/^\uFEFF/, '');
  const header = text.split('\n')[0].replace(/\r$/, '');
  const best = bestSeparator(header, o.expected);
  const separator = o.separator ?? best;
  const notes: string[] = [];
  if (!o.separator && separator !== ',') notes.push(`separatore ${separatorName(separator)} rilevato dall'intestazione`);
  if (!o.encoding && encoding === 'latin1') notes.push('codifica Latin-1 (Windows-1252) rilevata: il file non è UTF-8');
  return { separator, encoding, notes, best, ...headerRecord(decoded, separator) };
}

/** The first non-empty record of the head (the header), read as the row-by-row reader did, and how many records precede the data. */
function headerRecord(text: string, separator: string): { header: string[]; headerRecords: number } {
  for (let n = 1; n <= 100; n++) {
    let records: string[][];
    try {
      records = parse(text, { delimiter: separator, bom: true, relax_column_count: true, skip_empty_lines: false, relax_quotes: false, to: n });
    } catch (err) {
      throw new FileError(`intestazione del CSV non leggibile (${(err as Error).message.split('\n')[0]})`, n);
    }
    if (records.length < n) return { header: [], headerRecords: records.length };
    const last = records[n - 1];
    if (!(last.length === 1 && last[0] === '')) return { header: last.map((h) => h.trim()), headerRecords: n };
  }
  return { header: [], headerRecords: 100 };
}

/** Sniffs a CSV on disk from its first bytes. */
export async function sniffFile(path: string, o: SniffOptions): Promise<SniffedHead> {
  const file = await open(path);
  try {
    const buffer = Buffer.alloc(PEEK_BYTES);
    const { bytesRead } = await file.read(buffer, 0, PEEK_BYTES, 0);
    return sniffHead(buffer.subarray(0, bytesRead), bytesRead < PEEK_BYTES, o);
  } finally {
    await file.close();
  }
}

export async function sniffCsv(bytes: Readable, o: SniffOptions): Promise<Sniffed> {
  const it = bytes[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < PEEK_BYTES) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    chunks.push(chunk);
    size += chunk.length;
  }
  const head = Buffer.concat(chunks);
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { bytes: Readable.from(rest(), { objectMode: false }), ...sniffHead(head, done, o) };
}
