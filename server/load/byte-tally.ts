/**
 * What the loader learns from a file's bytes as they pass, without parsing
 * them: the SHA-256 (the guard on what was sent), the size, the number of
 * lines (progress while the engine has not yet read the file), and the shape
 * of its end (the last character and the quotes on the last line, for an
 * unclosed quote the engine's CSV reader would silently run to the end of the
 * file).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';

const NEWLINE = 0x0a;
const CR = 0x0d;
export const QUOTE = 0x22;

/** Double quotes in chunk[from, to). */
function quotes(chunk: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = chunk.indexOf(QUOTE, from); i >= 0 && i < to; i = chunk.indexOf(QUOTE, i + 1)) n++;
  return n;
}

export class ByteTally {
  bytes = 0;
  lines = 0;
  /** The last byte that is not a line end (-1 before any). */
  lastByte = -1;
  /** The last byte is a newline (or there is none). */
  endsWithNewline = true;
  /** Double quotes on the line being read, and on the line before it. */
  private quotesOnLine = 0;
  private quotesOnPreviousLine = 0;
  private readonly hash = createHash('sha256');

  constructor(private readonly countLines = true) {}

  update(chunk: Buffer): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (!chunk.length) return;
    const last = chunk.lastIndexOf(NEWLINE);
    if (this.countLines && last >= 0) for (let i = chunk.indexOf(NEWLINE); i >= 0; i = chunk.indexOf(NEWLINE, i + 1)) this.lines++;
    if (last < 0) this.quotesOnLine += quotes(chunk, 0, chunk.length);
    else {
      const before = last > 0 ? chunk.lastIndexOf(NEWLINE, last - 1) : -1;
      this.quotesOnPreviousLine = (before < 0 ? this.quotesOnLine : 0) + quotes(chunk, before + 1, last);
      this.quotesOnLine = quotes(chunk, last + 1, chunk.length);
    }
    this.endsWithNewline = last === chunk.length - 1;
    for (let i = chunk.length - 1; i >= 0; i--)
      if (chunk[i] !== NEWLINE && chunk[i] !== CR) {
        this.lastByte = chunk[i];
        break;
      }
  }

  /** Double quotes on the file's last line (the one its final newline ends, if it has one). */
  get quotesOnLastLine(): number {
    return this.endsWithNewline ? this.quotesOnPreviousLine : this.quotesOnLine;
  }

  /** Lines of the file, the last one counted even without its newline. */
  get totalLines(): number {
    return this.lines + (this.endsWithNewline ? 0 : 1);
  }

  digest(): string {
    return this.hash.digest('hex');
  }

  /** A pass-through stream that tallies what flows through it; `onChunk` after each chunk (progress). */
  transform(onChunk?: () => void): Transform {
    return new Transform({
      transform: (chunk: Buffer, _e, done) => {
        this.update(chunk);
        onChunk?.();
        done(null, chunk);
      },
    });
  }
}

/** Tallies a file on disk (read while the engine works on it). */
export async function tallyFile(path: string, tally: ByteTally, onChunk?: () => void): Promise<ByteTally> {
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    tally.update(chunk as Buffer);
    onChunk?.();
  }
  return tally;
}
