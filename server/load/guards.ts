/**
 * The checks a load passes before it may replace anything, each on its own:
 * what was sent (row count, SHA-256), free space before it starts, and the
 * shrink guard (a batch replaced by much fewer rows). Each returns a refusal
 * (kind and an Italian message a person can act on) or nothing; the run
 * orchestration decides when to call them.
 */
import type { Engine } from '../engine/client.ts';

export type RefusalKind = 'rows' | 'file' | 'consistency' | 'shrink' | 'expect_rows' | 'checksum' | 'space';

export interface Refusal {
  kind: RefusalKind;
  message: string;
}

/** Default share of the replaced rows a load must bring (LOAD_SHRINK_SHARE). */
export const DEFAULT_SHRINK_SHARE = 0.8;

const fmt = (n: number) => n.toLocaleString('it-IT');

/** Rows the file should have (--expect-rows, expect_rows): compared with the data rows read. */
export function checkExpectedRows(expected: number | undefined, rowsRead: number): Refusal | undefined {
  if (expected === undefined || expected === rowsRead) return undefined;
  return {
    kind: 'expect_rows',
    message: `il file ha ${fmt(rowsRead)} righe di dati ma ne erano attese ${fmt(expected)} (--expect-rows / expect_rows): file incompleto o diverso da quello inviato, nessuna riga caricata`,
  };
}

/** SHA-256 as lowercase hex, from hex or base64 (Content-Digest / Digest headers carry base64). */
export function sha256Hex(value: string): string | undefined {
  const v = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(v)) return v.toLowerCase();
  const bytes = Buffer.from(v, 'base64');
  return bytes.length === 32 && /^[A-Za-z0-9+/]+=*$/.test(v) ? bytes.toString('hex') : undefined;
}

/**
 * The sha-256 of an HTTP `Content-Digest` (RFC 9530: `sha-256=:BASE64:`) or
 * legacy `Digest` (RFC 3230: `SHA-256=BASE64`) header; undefined when neither
 * carries one. Other algorithms are ignored.
 */
export function digestFromHeaders(headers: Record<string, string | string[] | undefined>): string | undefined {
  const one = (h: string | string[] | undefined) => (Array.isArray(h) ? h.join(',') : h);
  const cd = one(headers['content-digest']);
  const m = cd && /(?:^|,)\s*sha-256\s*=\s*:([A-Za-z0-9+/=]+):/i.exec(cd);
  if (m) return sha256Hex(m[1]);
  const d = one(headers.digest);
  const n = d && /(?:^|,)\s*sha-256\s*=\s*([A-Za-z0-9+/=]+)/i.exec(d);
  return n ? sha256Hex(n[1]) : undefined;
}

export function checkChecksum(expected: string | undefined, actual: string): Refusal | undefined {
  if (expected === undefined || expected === actual) return undefined;
  return {
    kind: 'checksum',
    message: `lo SHA-256 del file ricevuto (${actual}) è diverso da quello dichiarato (${expected}): il file è arrivato alterato o incompleto, nessuna riga caricata`,
  };
}

/** Space a load of `bytes` needs: the file once in the staging table, once more when it is spooled (an upload the embedded engine reads from disk), and a margin. */
export function spaceNeeded(bytes: number, spooled: boolean): number {
  return bytes * (spooled ? 2 : 1) + 64 * 1024 * 1024;
}

const mb = (n: number) => `${Math.ceil(n / (1024 * 1024)).toLocaleString('it-IT')} MB`;

/** Free space of the engine's disk (system.disks: the same answer embedded or over HTTP) against what the load needs. */
export async function checkFreeSpace(engine: Engine, needed: number | undefined): Promise<Refusal | undefined> {
  if (!needed) return undefined;
  const [disk] = await engine.query<{ free: number; path: string }>("SELECT toFloat64(unreserved_space) AS free, path FROM system.disks WHERE name = 'default'");
  if (!disk || disk.free >= needed) return undefined;
  return {
    kind: 'space',
    message: `spazio libero insufficiente: servono circa ${mb(needed)} (il file e la sua copia di appoggio), liberi ${mb(disk.free)} in ${disk.path}; liberare spazio e riprovare, nessuna riga caricata`,
  };
}

export interface BatchRows {
  batch: string;
  replaced: number;
  loaded: number;
}

/**
 * The shrink guard: every replaced batch (the whole table when it has no
 * batches) must get at least `share` of the rows it had, unless the admin
 * confirms (--allow-shrink, allow_shrink=true). Demo data are not a shrink.
 */
export function checkShrink(table: string, batches: readonly BatchRows[], o: { share: number; allow: boolean; replacingDemo: boolean }): Refusal | undefined {
  if (o.allow || o.replacingDemo) return undefined;
  const shrunk = batches.filter((b) => b.replaced > 0 && b.loaded < b.replaced * o.share);
  if (!shrunk.length) return undefined;
  const pct = `${Math.round(o.share * 100)} %`;
  const what = shrunk.map((b) => `${b.batch ? `lotto ${b.batch}` : `tabella ${table}`}: ${fmt(b.loaded)} righe nuove al posto di ${fmt(b.replaced)}`).join('; ');
  return {
    kind: 'shrink',
    message: `il caricamento ridurrebbe i dati sotto il ${pct} delle righe che sostituisce (${what}): file troncato? Se la riduzione è voluta, ripetere con --allow-shrink (allow_shrink=true); nessuna riga caricata`,
  };
}

/** What a file read to the end may still be refused for, in this order: what was sent, its columns, its rejected rows, no valid row at all. */
export function refusalAfterReading(o: { sha256?: string; checksum: string; expectRows?: number; rowsRead: number; fileProblems: readonly string[]; rowsRejected: number; maxRejects: number; rowsAccepted: number }): Refusal | undefined {
  const r = (kind: RefusalKind, message: string): Refusal => ({ kind, message });
  return (
    checkChecksum(o.sha256, o.checksum) ??
    checkExpectedRows(o.expectRows, o.rowsRead) ??
    (o.fileProblems.length ? r('file', `il file non ha le colonne richieste: ${o.fileProblems.join('; ')}`) : undefined) ??
    (o.rowsRejected > o.maxRejects
      ? r('rows', `${o.rowsRejected} righe scartate, ${o.maxRejects === 0 ? 'nessuna ammessa (tutto o niente)' : `al massimo ${o.maxRejects} ammesse`}: nessuna riga caricata`)
      : undefined) ??
    (o.rowsAccepted === 0 ? r('rows', 'nessuna riga valida nel file: nessuna riga caricata') : undefined)
  );
}
