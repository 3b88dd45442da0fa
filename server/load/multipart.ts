/**
 * A multipart/form-data body (RFC 7578) written part by part to spool files,
 * streaming, without holding a part in memory: the way one HTTP call carries
 * several files (the five PON tables). Each part's field name is kept (the
 * table) with its file name; the caller deletes the files.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { spoolPath } from './spool.ts';

export interface SpooledPart {
  name: string;
  fileName: string;
  path: string;
  size: number;
}

export class MultipartError extends Error {}

export function boundaryOf(contentType: string): string | undefined {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

function headersOf(block: string): { name: string; fileName: string } {
  const disposition = /content-disposition:\s*form-data([^\r\n]*)/i.exec(block)?.[1] ?? '';
  const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1];
  if (!name) throw new MultipartError('una parte del corpo multipart non ha Content-Disposition con name (il nome della tabella)');
  return { name, fileName: /;\s*filename="([^"]*)"/i.exec(disposition)?.[1] ?? `${name}.csv` };
}

/** Writes every part to a spool file in `dir`; on error the files written so far are returned in `written` for deletion. */
export async function spoolMultipart(body: Readable, boundary: string, dir: string, written: SpooledPart[]): Promise<SpooledPart[]> {
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  // The body starts with "--boundary": prefixing CRLF makes every delimiter look the same.
  let buffer: Buffer = Buffer.from('\r\n');
  let out: WriteStream | undefined;
  let part: SpooledPart | undefined;
  let state: 'preamble' | 'headers' | 'data' | 'done' = 'preamble';
  const write = async (bytes: Buffer) => {
    if (!bytes.length || !out || !part) return;
    part.size += bytes.length;
    if (!out.write(bytes)) await once(out, 'drain');
  };
  const close = async () => {
    if (out) {
      out.end();
      await once(out, 'finish');
    }
    out = undefined;
  };
  for await (const chunk of body as AsyncIterable<Buffer>) {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      if (state === 'done') break;
      if (state === 'headers') {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) break;
        const { name, fileName } = headersOf(buffer.subarray(0, end).toString('utf8'));
        part = { name, fileName, path: spoolPath(dir, 'part'), size: 0 };
        written.push(part);
        out = createWriteStream(part.path);
        buffer = buffer.subarray(end + 4);
        state = 'data';
        continue;
      }
      const at = buffer.indexOf(delimiter);
      if (at < 0) {
        // Keep what could be the start of a delimiter; the rest is data.
        const keep = Math.min(buffer.length, delimiter.length + 2);
        if (state === 'data') await write(buffer.subarray(0, buffer.length - keep));
        buffer = buffer.subarray(buffer.length - keep);
        break;
      }
      if (state === 'data') await write(buffer.subarray(0, at));
      await close();
      const after = buffer.subarray(at + delimiter.length);
      if (after.length < 2) {
        buffer = buffer.subarray(at);
        break;
      }
      if (after.subarray(0, 2).toString() === '--') {
        state = 'done';
        buffer = Buffer.alloc(0);
        break;
      }
      const eol = after.indexOf('\r\n');
      if (eol < 0) {
        buffer = buffer.subarray(at);
        break;
      }
      buffer = after.subarray(eol + 2);
      state = 'headers';
    }
  }
  await close();
  if (state !== 'done') throw new MultipartError('corpo multipart incompleto: manca il delimitatore finale (invio interrotto?)');
  return written;
}
