/**
 * A CSV's separator and encoding, read from its first bytes when the caller
 * did not say: the separator that splits the header into the declared column
 * names, Latin-1 when the first lines are not valid UTF-8. The bytes are
 * handed on untouched (the peeked head first).
 */
import { Readable } from 'node:stream';
import type { Encoding } from './readers.ts';

export const SEPARATORS = [',', ';', '\t', '|'] as const;
const PEEK_BYTES = 64 * 1024;

export interface Sniffed {
  bytes: Readable;
  separator: string;
  encoding: Encoding;
  /** What was detected (not given), for the report, e.g. 'separatore ";" rilevato dall\'intestazione'. */
  notes: string[];
  /** The separator that best splits the header into declared columns (for a hint when the given one does not). */
  best: string;
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

export async function sniffCsv(bytes: Readable, o: { separator?: string; encoding?: Encoding; expected: readonly string[] }): Promise<Sniffed> {
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
  const encoding = o.encoding ?? guessEncoding(head, done);
  const text = new TextDecoder(encoding === 'latin1' ? 'windows-1252' : 'utf-8').decode(head.subarray(0, 4096)).replace(/^\uFEFF/, '');
  const header = text.split('\n')[0].replace(/\r$/, '');
  const best = bestSeparator(header, o.expected);
  const separator = o.separator ?? best;
  const notes: string[] = [];
  if (!o.separator && separator !== ',') notes.push(`separatore ${separatorName(separator)} rilevato dall'intestazione`);
  if (!o.encoding && encoding === 'latin1') notes.push('codifica Latin-1 (Windows-1252) rilevata: il file non è UTF-8');
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { bytes: Readable.from(rest(), { objectMode: false }), separator, encoding, notes, best };
}
