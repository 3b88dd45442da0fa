/**
 * Upload spools: a Parquet file sent over HTTP is written to DATA_DIR/uploads
 * (Parquet is read from its end), deleted when its load ends, and any left by
 * a process that died is swept when the server starts.
 */
import { createWriteStream, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';

export const SPOOL_PREFIX = 'upload-';

export function spoolPath(dir: string, ext: string): string {
  mkdirSync(dir, { recursive: true });
  return join(dir, `${SPOOL_PREFIX}${randomBytes(6).toString('hex')}.${ext}`);
}

export async function spoolTo(bytes: Readable, path: string): Promise<void> {
  await pipeline(bytes, createWriteStream(path));
}

export function removeSpool(path: string): void {
  rmSync(path, { force: true });
}

/** Deletes every spool file in `dir` (at start: no load is running yet). Returns the names removed. */
export function sweepSpools(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(SPOOL_PREFIX));
  } catch {
    return [];
  }
  for (const n of names) rmSync(join(dir, n), { force: true });
  return names;
}
