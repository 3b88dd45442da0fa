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
import { ensureSchema } from '../data/schema.ts';
import { AppError } from '../errors.ts';
import type { LoadRecord } from '../load/journal.ts';
import { ENCODINGS, FILE_FORMATS, type Encoding, type FileFormat } from '../load/readers.ts';
import { recoverLoads } from '../load/recover.ts';
import { runLoad, type LoadProgress } from '../load/run.ts';
import { fail, parseOrExit } from './args.ts';
import { cliConfig, modelOrExit, openCliEngine } from './open-engine.ts';

const usage = `uso: npm run load -- --table <tabella> --file <file> [--format csv|ndjson|parquet] [--separator ";"] [--encoding utf-8|latin1] [--max-rejects N] [--dir cubes] [--check]
  --check   valida tutto il file e riporta gli scarti senza caricare nulla
     npm run load -- ... --server http://127.0.0.1:3000 --token <token admin>   (server avviato)`;
const { values } = parseOrExit(usage, {
  table: { type: 'string' },
  file: { type: 'string' },
  format: { type: 'string' },
  separator: { type: 'string', default: ',' },
  encoding: { type: 'string', default: 'utf-8' },
  'max-rejects': { type: 'string', default: '0' },
  dir: { type: 'string', default: 'cubes' },
  server: { type: 'string' },
  token: { type: 'string' },
  check: { type: 'boolean', default: false },
});
if (!values.table) fail(usage, '--table mancante');
if (!values.file) fail(usage, '--file mancante');
const file = values.file;
let size: number;
try {
  size = statSync(file).size;
} catch {
  fail(usage, `file non trovato: ${file}`);
}
const byExtension: Record<string, FileFormat> = { '.csv': 'csv', '.txt': 'csv', '.ndjson': 'ndjson', '.jsonl': 'ndjson', '.parquet': 'parquet' };
const format = (values.format ?? byExtension[extname(file).toLowerCase()]) as FileFormat;
if (!FILE_FORMATS.includes(format)) fail(usage, `formato ${values.format ? `"${values.format}" non ammesso` : 'non riconoscibile dall\'estensione: indicare --format'} (csv, ndjson, parquet)`);
const encoding = (values.encoding.toLowerCase() === 'iso-8859-1' ? 'latin1' : values.encoding.toLowerCase()) as Encoding;
if (!ENCODINGS.includes(encoding)) fail(usage, `--encoding: utf-8 oppure latin1 (ricevuto ${values.encoding})`);
const separator = values.separator === '\\t' || values.separator === 'tab' ? '\t' : values.separator;
if ([...separator].length !== 1) fail(usage, `--separator: un solo carattere (ricevuto "${values.separator}")`);
const maxRejects = Number(values['max-rejects']);
if (!Number.isInteger(maxRejects) || maxRejects < 0) fail(usage, `--max-rejects: un intero >= 0 (ricevuto ${values['max-rejects']})`);

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
  if (r.batches.length) out(`  lotti sostituiti: ${r.batches.join(', ')}`);
  if (r.replacedDemo) out('  la tabella conteneva dati dimostrativi generati: sono stati sostituiti tutti, non solo i lotti del file');
  if (r.rejects.ignoredColumns.length) out(`  colonne ignorate (non dichiarate): ${r.rejects.ignoredColumns.join(', ')}`);
  for (const p of r.rejects.file) out(`  ${p}`);
  for (const e of r.rejects.first.slice(0, 20)) out(`  riga ${e.line}${e.column ? `, colonna ${e.column}` : ''}: ${e.reason}${e.value !== undefined ? ` (valore "${e.value}")` : ''}`);
  if (r.rejects.first.length > 20) out(`  … (${r.rejects.first.length} righe scartate nel dettaglio del giornale: GET /v1/admin/loads/${r.id})`);
  for (const t of r.rejects.totals) out(`  totale: ${fmt(t.rows)} righe — ${t.column ? `${t.column}: ` : ''}${t.reason}`);
  if (r.error) out(`  ${r.error}`);
  process.exitCode = r.status === 'succeeded' || r.status === 'checked' ? 0 : 1;
}

if (values.server) {
  if (!values.token) fail(usage, '--server richiede --token (un token del ruolo admin: npm run token -- --profile admin)');
  const params = new URLSearchParams({ table: values.table, format, separator, encoding, max_rejects: String(maxRejects), file_name: basename(file), check: String(values.check) });
  let sent = 0;
  const started = performance.now();
  const counter = new Transform({
    transform(chunk: Buffer, _e, done) {
      sent += chunk.length;
      showProgress({ phase: 'invio', rowsRead: 0, rowsRejected: 0, fraction: sent / Math.max(1, size), rowsPerSecond: 0 });
      done(null, chunk);
    },
  });
  const body = Readable.toWeb(createReadStream(file).pipe(counter)) as ReadableStream;
  const res = await fetch(`${values.server.replace(/\/$/, '')}/v1/admin/loads?${params}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${values.token}`, 'content-type': format === 'csv' ? 'text/csv' : format === 'ndjson' ? 'application/x-ndjson' : 'application/vnd.apache.parquet', 'content-length': String(size) },
    body,
    duplex: 'half',
  } as RequestInit);
  const answer = (await res.json()) as LoadRecord & { load?: LoadRecord; detail?: string };
  const record = answer.load ?? (res.ok ? answer : undefined);
  if (record) report(record);
  else {
    console.error(`errore ${res.status}: ${answer.detail ?? JSON.stringify(answer)}`);
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
    if (recovered.interrupted.length || recovered.droppedTables.length)
      console.error(`[carico] pulizia di caricamenti interrotti: ${recovered.interrupted.join(', ') || '-'}; tabelle di appoggio eliminate: ${recovered.droppedTables.length}`);
    const record = await runLoad(engine, model, {
      table: values.table,
      format,
      ...(format === 'parquet' ? { path: file } : { bytes: createReadStream(file) }),
      fileName: basename(file),
      totalBytes: size,
      separator,
      encoding,
      maxRejects,
      checkOnly: values.check,
      onProgress: (p) => showProgress(p, p.phase === 'committing'),
    });
    report(record);
  } catch (err) {
    console.error(err instanceof AppError ? err.message : (err as Error).stack);
    process.exitCode = 1;
  } finally {
    await engine.close();
  }
}
