/**
 * `npm run load -- --table <name> --file <path> [options]`: loads a CSV,
 * NDJSON or Parquet file into a table declared in the cube files, all or
 * nothing (see server/load/run.ts), with progress on stderr. With
 * `--server URL --token T` the file is streamed to a running server
 * (POST /v1/admin/loads) instead: the embedded engine belongs to one process.
 */
import { createReadStream, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { ensureSchema } from '../data/schema.ts';
import { AppError } from '../errors.ts';
import { sha256Hex } from '../load/guards.ts';
import type { LoadRecord } from '../load/journal.ts';
import { ENCODINGS, FILE_FORMATS, type Encoding, type FileFormat } from '../load/readers.ts';
import { recoverLoads, recoveryLine } from '../load/recover.ts';
import { runLoads, type LoadProgress } from '../load/run.ts';
import { fail, parseOrExit } from './args.ts';
import { cliConfig, modelOrExit, openCliEngine } from './open-engine.ts';

const usage = `uso: npm run load -- --table <tabella> --file <file> [--format csv|ndjson|parquet] [--separator ";"] [--encoding utf-8|latin1] [--max-rejects N]
                    [--expect-rows N] [--sha256 H] [--allow-shrink] [--dir cubes] [--check]
  --separator, --encoding   rilevati dall'intestazione del file se non indicati
  --expect-rows N   righe di dati che il file deve avere (quante ne ha contate chi ha prodotto l'estratto)
  --sha256 H        SHA-256 del file: un file arrivato diverso è rifiutato
  --allow-shrink    accetta un caricamento che sostituisce un lotto con meno dell'80 % delle sue righe (LOAD_SHRINK_SHARE)
  --check           valida tutto il file e riporta gli scarti senza caricare nulla
  più tabelle insieme, validate tra loro e sostituite tutte o nessuna (es. le cinque tabelle PON):
     npm run load -- --table pon_nuclei --file nuclei.csv --table pon_componenti --file componenti.csv ...
     npm run load -- ... --server http://127.0.0.1:3000 --token <token admin>   (server avviato)`;
const { values } = parseOrExit(usage, {
  table: { type: 'string', multiple: true },
  file: { type: 'string', multiple: true },
  format: { type: 'string' },
  separator: { type: 'string' },
  encoding: { type: 'string' },
  'max-rejects': { type: 'string', default: '0' },
  'expect-rows': { type: 'string' },
  sha256: { type: 'string' },
  'allow-shrink': { type: 'boolean', default: false },
  dir: { type: 'string', default: 'cubes' },
  server: { type: 'string' },
  token: { type: 'string' },
  check: { type: 'boolean', default: false },
});
const tables = values.table ?? [];
const files = values.file ?? [];
if (!tables.length) fail(usage, '--table mancante');
if (!files.length) fail(usage, '--file mancante');
if (tables.length !== files.length) fail(usage, `un --file per ogni --table (ricevuti ${tables.length} --table e ${files.length} --file)`);
const single = tables.length === 1;
if (!single && (values['expect-rows'] || values.sha256)) fail(usage, '--expect-rows e --sha256 valgono per un file solo: caricare le tabelle una alla volta oppure ometterli');
const byExtension: Record<string, FileFormat> = { '.csv': 'csv', '.txt': 'csv', '.ndjson': 'ndjson', '.jsonl': 'ndjson', '.parquet': 'parquet' };
const sources = files.map((file, i) => {
  let size = 0;
  try {
    size = statSync(file).size;
  } catch {
    fail(usage, `file non trovato: ${file}`);
  }
  const format = (values.format ?? byExtension[extname(file).toLowerCase()]) as FileFormat;
  if (!FILE_FORMATS.includes(format)) fail(usage, `formato ${values.format ? `"${values.format}" non ammesso` : `di ${file} non riconoscibile dall'estensione: indicare --format`} (csv, ndjson, parquet)`);
  return { table: tables[i], file, size, format };
});
const encoding = values.encoding === undefined ? undefined : ((values.encoding.toLowerCase() === 'iso-8859-1' ? 'latin1' : values.encoding.toLowerCase()) as Encoding);
if (encoding !== undefined && !ENCODINGS.includes(encoding)) fail(usage, `--encoding: utf-8 oppure latin1 (ricevuto ${values.encoding})`);
const separator = values.separator === undefined ? undefined : values.separator === '\\t' || values.separator === 'tab' ? '\t' : values.separator;
if (separator !== undefined && [...separator].length !== 1) fail(usage, `--separator: un solo carattere (ricevuto "${values.separator}")`);
const maxRejects = Number(values['max-rejects']);
if (!Number.isInteger(maxRejects) || maxRejects < 0) fail(usage, `--max-rejects: un intero >= 0 (ricevuto ${values['max-rejects']})`);
const expectRows = values['expect-rows'] === undefined ? undefined : Number(values['expect-rows']);
if (expectRows !== undefined && (!Number.isInteger(expectRows) || expectRows < 0)) fail(usage, `--expect-rows: un intero >= 0 (ricevuto ${values['expect-rows']})`);
const sha256 = values.sha256 === undefined ? undefined : sha256Hex(values.sha256);
if (values.sha256 !== undefined && !sha256) fail(usage, `--sha256: 64 cifre esadecimali (ricevuto ${values.sha256})`);

const fmt = (n: number) => Math.round(n).toLocaleString('it-IT');
let lastShown = 0;
function showProgress(p: Pick<LoadProgress, 'rowsRead' | 'rowsRejected' | 'fraction' | 'rowsPerSecond'> & { phase: string }, force = false) {
  const now = performance.now();
  if (!force && now - lastShown < 1000) return;
  lastShown = now;
  const pct = p.fraction !== undefined ? `${(p.fraction * 100).toFixed(1).replace('.', ',')}% · ` : '';
  const line = `[carico] ${p.phase === 'committing' ? 'pubblicazione… ' : ''}${pct}${fmt(p.rowsRead)} righe lette · ${fmt(p.rowsPerSecond)} righe/s · ${fmt(p.rowsRejected)} scartate`;
  process.stderr.write(process.stderr.isTTY ? `\r${line}\x1b[K` : `${line}\n`);
}

function report(r: LoadRecord): void {
  if (process.stderr.isTTY) process.stderr.write('\n');
  const out = r.status === 'succeeded' || r.status === 'checked' ? console.log : console.error;
  out(`caricamento ${r.id}: ${r.status === 'succeeded' ? 'riuscito' : r.status === 'checked' ? 'verificato, si può caricare (nulla caricato)' : r.status === 'rejected' ? 'RIFIUTATO' : r.status}`);
  out(`  tabella ${r.table}, file ${r.fileName} (${r.format}, sha256 ${r.checksum})`);
  // A refused load keeps nothing: its valid rows are "valide", not "accettate".
  out(`  righe lette ${fmt(r.rowsRead)}, ${r.status === 'succeeded' ? 'accettate' : 'valide'} ${fmt(r.rowsAccepted)}, scartate ${fmt(r.rowsRejected)} (ammesse ${fmt(r.maxRejects)})`);
  if (r.batches.length) out(`  lotti ${r.status === 'succeeded' ? 'sostituiti' : 'del file'}: ${r.batches.join(', ')}`);
  if (r.rowsReplaced) out(`  righe sostituite ${fmt(r.rowsReplaced)}, caricate ${fmt(r.status === 'succeeded' ? r.rowsAccepted : 0)}`);
  for (const n of r.rejects.notes ?? []) out(`  ${n}`);
  if (r.replacedDemo) out('  la tabella conteneva dati dimostrativi generati: sono stati sostituiti tutti, non solo i lotti del file');
  if (r.rejects.ignoredColumns.length) out(`  colonne ignorate (non dichiarate): ${r.rejects.ignoredColumns.join(', ')}`);
  for (const p of r.rejects.file) out(`  ${p}`);
  for (const e of r.rejects.first.slice(0, 20)) out(`  riga ${e.line}${e.column ? `, colonna ${e.column}` : ''}: ${e.reason}${e.value !== undefined ? ` (valore "${e.value}")` : ''}`);
  if (r.rejects.first.length > 20) out(`  … (${r.rejects.first.length} righe scartate nel dettaglio del giornale: GET /v1/admin/loads/${r.id})`);
  for (const t of r.rejects.totals) out(`  totale: ${fmt(t.rows)} righe — ${t.column ? `${t.column}: ` : ''}${t.reason}`);
  if (r.error) out(`  ${r.error}`);
  if (r.status !== 'succeeded' && r.status !== 'checked') process.exitCode = 1;
}

if (values.server) {
  if (!values.token) fail(usage, '--server richiede --token (un token del ruolo admin: npm run token -- --profile admin)');
  const guards = { max_rejects: String(maxRejects), check: String(values.check), allow_shrink: String(values['allow-shrink']) };
  const total = sources.reduce((s, x) => s + x.size, 0);
  let sent = 0;
  const started = performance.now();
  const counter = () =>
    new Transform({
      transform(chunk: Buffer, _e, done) {
        sent += chunk.length;
        showProgress({ phase: 'invio', rowsRead: 0, rowsRejected: 0, fraction: sent / Math.max(1, total), rowsPerSecond: 0 });
        done(null, chunk);
      },
    });
  let url: string;
  let headers: Record<string, string>;
  let body: Readable;
  if (single) {
    const [src] = sources;
    const params = new URLSearchParams({ table: src.table, format: src.format, file_name: basename(src.file), ...guards });
    if (separator) params.set('separator', separator);
    if (encoding) params.set('encoding', encoding);
    if (expectRows !== undefined) params.set('expect_rows', String(expectRows));
    if (sha256) params.set('sha256', sha256);
    url = `/v1/admin/loads?${params}`;
    headers = { 'content-type': src.format === 'csv' ? 'text/csv' : src.format === 'ndjson' ? 'application/x-ndjson' : 'application/vnd.apache.parquet', 'content-length': String(src.size) };
    body = createReadStream(src.file).pipe(counter());
  } else {
    // One multipart body, one part per table: the server loads them as one batch.
    const boundary = `pas${randomBytes(12).toString('hex')}`;
    const head = (s: (typeof sources)[number]) => Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${s.table}"; filename="${basename(s.file).replace(/"/g, '')}"\r\ncontent-type: application/octet-stream\r\n\r\n`);
    const tail = Buffer.from(`--${boundary}--\r\n`);
    const length = sources.reduce((n, s) => n + head(s).length + s.size + 2, 0) + tail.length;
    async function* parts() {
      for (const s of sources) {
        yield head(s);
        for await (const chunk of createReadStream(s.file)) yield chunk as Buffer;
        yield Buffer.from('\r\n');
      }
      yield tail;
    }
    url = `/v1/admin/loads/batch?${new URLSearchParams(guards)}`;
    headers = { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(length) };
    body = Readable.from(parts()).pipe(counter());
  }
  const res = await fetch(`${values.server.replace(/\/$/, '')}${url}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${values.token}`, ...headers },
    body: Readable.toWeb(body) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  const answer = (await res.json()) as LoadRecord & { load?: LoadRecord; loads?: LoadRecord[]; detail?: string };
  const records = answer.loads ?? (answer.load ? [answer.load] : res.ok ? [answer] : []);
  for (const r of records) report(r);
  if (!records.length || !res.ok) {
    if (!records.length || records.every((r) => r.status === 'succeeded')) console.error(`errore ${res.status}: ${answer.detail ?? JSON.stringify(answer)}`);
    process.exitCode = 1;
  }
  console.error(`(${((performance.now() - started) / 1000).toFixed(1)} s)`);
} else {
  const model = modelOrExit(values.dir);
  const config = cliConfig();
  const engine = await openCliEngine(config, config.dataDir, 'fermarlo, oppure caricare attraverso il server con --server URL --token <token admin>');
  try {
    await ensureSchema(engine);
    const recovered = await recoverLoads(engine);
    if (recovered.interrupted.length || recovered.droppedTables.length || recovered.completed.length) console.error(`[carico] ${recoveryLine(recovered)}`);
    const records = await runLoads(engine, model, sources.map((src) => ({
      table: src.table,
      format: src.format,
      // CSV and Parquet are read by the engine where they lie; NDJSON is read row by row from its bytes.
      ...(src.format === 'ndjson' ? { bytes: createReadStream(src.file) } : { path: src.file }),
      fileName: basename(src.file),
      totalBytes: src.size,
      separator,
      encoding,
      maxRejects,
      expectRows,
      sha256,
      allowShrink: values['allow-shrink'],
      shrinkShare: config.loadShrinkShare,
      checkOnly: values.check,
      onProgress: (p: LoadProgress) => showProgress(p, p.phase === 'committing'),
    })));
    for (const r of records) report(r);
  } catch (err) {
    console.error(err instanceof AppError ? err.message : (err as Error).stack);
    process.exitCode = 1;
  } finally {
    await engine.close();
  }
}
