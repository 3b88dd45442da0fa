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

export class ByteTally {
  bytes = 0;
  lines = 0;
  /** The last byte that is not a line end (-1 before any). */
  lastByte = -1;
  /** Double quotes since the last newline. */
  quotesOnLastLine = 0;
  /** The last byte is a newline (or there is none). */
  endsWithNewline = true;
  private readonly hash = createHash('sha256');

  constructor(private readonly countLines = true) {}

  update(chunk: Buffer): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (!chunk.length) return;
    const lastNewline = chunk.lastIndexOf(NEWLINE);
    if (this.countLines && lastNewline >= 0) for (let i = chunk.indexOf(NEWLINE); i >= 0; i = chunk.indexOf(NEWLINE, i + 1)) this.lines++;
    if (lastNewline >= 0) this.quotesOnLastLine = 0;
    this.endsWithNewline = lastNewline === chunk.length - 1;
    for (let i = chunk.indexOf(QUOTE, lastNewline + 1); i >= 0; i = chunk.indexOf(QUOTE, i + 1)) this.quotesOnLastLine++;
    for (let i = chunk.length - 1; i >= 0; i--)
      if (chunk[i] !== NEWLINE && chunk[i] !== CR) {
        this.lastByte = chunk[i];
        break;
      }
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
