/**
 * Admin: loads and schema over HTTP, for when the server owns the engine.
 * POST /v1/admin/loads streams the request body into the same loader as
 * `npm run load` (the embedded engine reads CSV and Parquet from disk, so the
 * body is spooled first and deleted when the load ends; a ClickHouse server
 * gets it streamed); nothing is buffered whole in memory.
 * POST /v1/admin/loads/batch takes several files in one multipart/form-data
 * body (one part per table, the field name is the table) and loads them as
 * one batch: validated across tables, all swapped in or none.
 */
import type { IncomingMessage } from 'node:http';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { digestFromHeaders, sha256Hex } from '../../load/guards.ts';
import { listLoads, type LoadRecord } from '../../load/journal.ts';
import { boundaryOf, MultipartError, spoolMultipart, type SpooledPart } from '../../load/multipart.ts';
import { ENCODINGS, FILE_FORMATS, type FileFormat } from '../../load/readers.ts';
import { runLoads, type LoadInput, type LoadProgress } from '../../load/run.ts';
import { removeSpool, sweepSpools } from '../../load/spool.ts';
import type { QueryContext } from '../../query/execute.ts';
import { applyMigration, planMigration } from '../../tables/migrate.ts';
import { adminOf } from '../auth.ts';

export interface LoadRoutesOptions {
  context: () => QueryContext;
  /** Folder for spooled uploads (Parquet, multipart parts); swept when the routes are registered (at start). */
  spoolDir: string;
  /** Share of the replaced rows a load must bring unless allow_shrink=true (LOAD_SHRINK_SHARE, default 0.8). */
  shrinkShare?: number;
  /** Called after a successful load or migration: caches of data status, labels and territory are rebuilt. */
  onDataChanged: () => Promise<void> | void;
}

const CONTENT_TYPES: Record<string, FileFormat> = {
  'text/csv': 'csv',
  'application/x-ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'application/vnd.apache.parquet': 'parquet',
  'application/octet-stream': 'csv',
};

const byExtension = (name: string): FileFormat => (/\.parquet$/i.test(name) ? 'parquet' : /\.(ndjson|jsonl)$/i.test(name) ? 'ndjson' : 'csv');

const Rejection = z.object({ line: z.number(), column: z.string(), reason: z.string(), value: z.string().optional() });
export const LoadRecordSchema = z.object({
  id: z.string().describe('load id, also the data version of the table after it'),
  table: z.string(),
  fileName: z.string(),
  format: z.string(),
  checksum: z.string().describe('SHA-256 of the file'),
  status: z.enum(['queued', 'running', 'committing', 'succeeded', 'checked', 'rejected', 'failed', 'interrupted']),
  rowsRead: z.number(),
  rowsAccepted: z.number().describe('rows that passed validation (loaded only when the load succeeded)'),
  rowsRejected: z.number(),
  maxRejects: z.number(),
  batches: z.array(z.string()).describe('batches (partitions) replaced; empty: the whole table'),
  rejects: z.object({
    first: z.array(Rejection).describe('first rejected rows, with line, column and reason'),
    totals: z.array(z.object({ column: z.string(), reason: z.string(), rows: z.number() })),
    file: z.array(z.string()),
    ignoredColumns: z.array(z.string()),
    notes: z.array(z.string()).optional().describe('what the loader detected by itself (separator, encoding)'),
  }),
  error: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  replacedDemo: z.boolean().describe('the table held generated demo data: the load replaced all of it'),
  rowsReplaced: z.number().describe('rows of the batches (or the whole table) the load replaces, counted before the swap'),
  refusal: z.string().describe('why a refused load was refused: rows, file, consistency, shrink, expect_rows, checksum, space'),
  groupId: z.string().describe('loads of several tables swapped in together share it (POST /v1/admin/loads/batch)'),
  progress: z.object({ rowsRead: z.number(), rowsRejected: z.number(), bytesRead: z.number(), fraction: z.number().optional(), rowsPerSecond: z.number(), phase: z.string() }).optional(),
});

const Guards = {
  max_rejects: z.coerce.number().int().min(0).default(0).describe('rejected rows tolerated; default 0: all or nothing'),
  check: z.enum(['true', 'false']).default('false').describe('true: validate the whole file and report, load nothing (status checked)'),
  allow_shrink: z.enum(['true', 'false']).default('false').describe('true: accept a load that replaces a batch with fewer rows than the configured share (default 80 %) of those it replaces'),
};

const LoadQuery = z.object({
  table: z.string().min(1).describe('declared table to load'),
  format: z.enum(FILE_FORMATS as [FileFormat, ...FileFormat[]]).optional().describe('default from Content-Type (text/csv, application/x-ndjson, application/vnd.apache.parquet)'),
  separator: z.string().length(1).optional().describe('CSV field separator, e.g. ; (default: detected from the header)'),
  encoding: z.enum(ENCODINGS as ['utf-8', 'latin1']).optional().describe('CSV/NDJSON text encoding (default: detected, UTF-8 unless the first lines are not)'),
  file_name: z.string().max(200).optional().describe('name of the file, kept in the journal'),
  expect_rows: z.coerce.number().int().min(0).optional().describe('data rows the file has: a load that reads another count is refused, nothing changes'),
  sha256: z.string().optional().describe('SHA-256 of the file (hex or base64; also the Content-Digest or Digest header): a file arriving different is refused'),
  ...Guards,
});

/** A refused load: 409 for the shrink guard, 507 for space, 422 for everything about the file's contents. */
function refusedError(records: LoadRecord[]): AppError {
  const r = records.find((x) => x.refusal && !x.error.startsWith('rifiutato insieme')) ?? records[0];
  const payload = records.length > 1 ? { loads: records.map(publicRecord) } : { load: publicRecord(r) };
  const code = r.refusal === 'shrink' ? 'LOAD_SHRINK' : r.refusal === 'space' ? 'LOAD_NO_SPACE' : 'LOAD_REJECTED';
  return new AppError(code, `Caricamento ${r.id} (${r.table}) rifiutato: ${r.error}`, payload);
}

const publicRecord = ({ shadowUuid: _, ...r }: LoadRecord) => r;

export const loadRoutes: FastifyPluginAsyncZod<LoadRoutesOptions> = async (app, opts) => {
  // Bodies of data files are handed to the loader as streams, never parsed or buffered by Fastify.
  for (const type of [...Object.keys(CONTENT_TYPES), 'multipart/form-data']) app.addContentTypeParser(type, (_req, payload, done) => done(null, payload));
  const running = new Map<string, LoadProgress>();
  /** A journal record as answered, with the progress of a load still running (without its id: that is the record's, and not in the progress contract). */
  const answerRecord = (l: LoadRecord) => {
    const now = running.get(l.id);
    if (!now) return publicRecord(l);
    const { id: _, ...progress } = now;
    return { ...publicRecord(l), progress };
  };
  // Spools left by a process that died mid-upload: no load runs yet.
  const swept = sweepSpools(opts.spoolDir);
  if (swept.length) app.log.info({ files: swept }, 'upload spools left by the previous run deleted');

  app.post('/v1/admin/loads', {
    schema: {
      tags: ['admin'],
      summary: 'Carica un file in una tabella dichiarata (tutto o niente)',
      description:
        'Corpo: il file (text/csv, application/x-ndjson o application/vnd.apache.parquet). Ogni riga è validata; con righe scartate oltre max_rejects nulla cambia (422 con i motivi). ' +
        'Separatore e codifica del CSV sono rilevati dall\'intestazione se non indicati. Un file che sostituisce un lotto con meno dell\'80 % delle sue righe è rifiutato (409) salvo allow_shrink=true; ' +
        'expect_rows e sha256 (o l\'intestazione Content-Digest: sha-256=:…:) rifiutano un file arrivato diverso da quello inviato. I dati diventano visibili in un solo passo; ricaricare lo stesso lotto lo sostituisce.',
      querystring: LoadQuery,
      response: { 200: LoadRecordSchema.describe('check=true: the file would load'), 201: LoadRecordSchema },
    },
    bodyLimit: Number.MAX_SAFE_INTEGER,
  }, async (request, reply) => {
    adminOf(request);
    const q = request.query;
    const contentType = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const format = q.format ?? CONTENT_TYPES[contentType];
    if (!format) throw new AppError('INVALID_REQUEST', `Formato non indicato: parametro format (csv, ndjson, parquet) o Content-Type (${Object.keys(CONTENT_TYPES).join(', ')}).`);
    const body = request.body as Readable | undefined;
    if (!body || typeof (body as Readable).pipe !== 'function') throw new AppError('INVALID_REQUEST', 'Corpo della richiesta mancante: inviare il file.');
    const sha256 = expectedDigest(q.sha256, request.headers);
    const [record] = await load(request.raw, [
      {
        table: q.table,
        format,
        bytes: body,
        spoolDir: opts.spoolDir,
        fileName: q.file_name ?? `upload.${format}`,
        totalBytes: Number(request.headers['content-length']) || undefined,
        separator: q.separator,
        encoding: q.encoding,
        expectRows: q.expect_rows,
        sha256,
      },
    ], q);
    request.log.info({ load: record.id, table: record.table, rows: record.rowsAccepted }, 'load succeeded');
    return reply.code(record.status === 'checked' ? 200 : 201).send(publicRecord(record));
  });

  app.post('/v1/admin/loads/batch', {
    schema: {
      tags: ['admin'],
      summary: 'Carica insieme più tabelle (es. le cinque tabelle PON): validate tra loro, sostituite tutte o nessuna',
      description:
        'Corpo multipart/form-data: una parte per tabella, il nome del campo è la tabella (es. pon_nuclei), il nome del file ne dice il formato (.csv, .ndjson, .parquet). ' +
        'Le tabelle sono verificate tra loro (ogni componente ha il suo nucleo, ogni servizio il suo componente, date coerenti) e con quelle già caricate che non sono nel lotto.',
      querystring: z.object({ ...Guards }),
      response: { 200: z.object({ loads: z.array(LoadRecordSchema) }), 201: z.object({ loads: z.array(LoadRecordSchema) }) },
    },
    bodyLimit: Number.MAX_SAFE_INTEGER,
  }, async (request, reply) => {
    adminOf(request);
    const boundary = boundaryOf(request.headers['content-type'] ?? '');
    if (!boundary) throw new AppError('INVALID_REQUEST', 'Corpo multipart/form-data atteso (una parte per tabella, il nome del campo è la tabella), con boundary nel Content-Type.');
    const parts: SpooledPart[] = [];
    try {
      try {
        await spoolMultipart(request.body as Readable, boundary, opts.spoolDir, parts);
      } catch (err) {
        if (err instanceof MultipartError) throw new AppError('INVALID_REQUEST', err.message);
        throw err;
      }
      if (!parts.length) throw new AppError('INVALID_REQUEST', 'Nessun file nel corpo multipart.');
      const records = await load(request.raw, parts.map((p) => {
        const format = byExtension(p.fileName);
        return { table: p.name, format, fileName: p.fileName, totalBytes: p.size, ...(format === 'ndjson' ? { bytes: createReadStream(p.path) } : { path: p.path }) };
      }), request.query);
      return reply.code(records[0].status === 'checked' ? 200 : 201).send({ loads: records.map(publicRecord) });
    } finally {
      for (const p of parts) removeSpool(p.path);
    }
  });

  /** Runs a load batch for a request: guards from the query, disconnects noticed, refusals as problem+json. */
  async function load(raw: IncomingMessage, inputs: LoadInput[], q: { max_rejects: number; check: 'true' | 'false'; allow_shrink: 'true' | 'false' }): Promise<LoadRecord[]> {
    let disconnected = false;
    raw.once('aborted', () => (disconnected = true));
    raw.socket?.once('close', () => (disconnected ||= !raw.complete));
    const ctx = opts.context();
    const ids: string[] = [];
    try {
      const records = await runLoads(ctx.engine, ctx.model, inputs.map((i) => ({
        ...i,
        maxRejects: q.max_rejects,
        checkOnly: q.check === 'true',
        allowShrink: q.allow_shrink === 'true',
        shrinkShare: opts.shrinkShare,
        disconnected: () => disconnected,
        onProgress: (p: LoadProgress) => {
          if (!running.has(p.id)) ids.push(p.id);
          running.set(p.id, p);
        },
      })));
      if (records.some((r) => r.status === 'succeeded')) await opts.onDataChanged();
      if (records.some((r) => r.status === 'rejected')) throw refusedError(records);
      return records;
    } finally {
      for (const id of ids) running.delete(id);
    }
  }

  app.get('/v1/admin/loads', {
    schema: {
      tags: ['admin'],
      summary: 'Giornale dei caricamenti (il più recente per primo)',
      querystring: z.object({ table: z.string().optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }),
      response: { 200: z.object({ loads: z.array(LoadRecordSchema) }) },
    },
  }, async (request) => {
    adminOf(request);
    const loads = await listLoads(opts.context().engine, { table: request.query.table, limit: request.query.limit });
    return { loads: loads.map(answerRecord) };
  });

  app.get('/v1/admin/loads/:id', {
    schema: { tags: ['admin'], summary: 'Un caricamento, con le righe scartate e i motivi', params: z.object({ id: z.string() }), response: { 200: LoadRecordSchema } },
  }, async (request) => {
    adminOf(request);
    const [load] = await listLoads(opts.context().engine, { id: request.params.id, limit: 1 });
    if (!load) throw new AppError('NOT_FOUND', `Nessun caricamento con id ${request.params.id}.`);
    return answerRecord(load);
  });

  app.post('/v1/admin/schema', {
    schema: {
      tags: ['admin'],
      summary: 'Crea o migra le tabelle dichiarate nei file dei cubi (come npm run schema)',
      querystring: z.object({ dry_run: z.enum(['true', 'false']).default('false') }),
      response: {
        200: z.object({ applied: z.boolean(), steps: z.array(z.object({ table: z.string(), action: z.string(), column: z.string().optional(), sql: z.string() })), upToDate: z.array(z.string()) }),
      },
    },
  }, async (request) => {
    adminOf(request);
    const ctx = opts.context();
    const plan = await planMigration(ctx.engine, ctx.model);
    if (plan.refusals.length)
      throw new AppError('SCHEMA_REFUSED', `Nessuna modifica applicata: ${plan.refusals.map((r) => `${r.table}: ${r.reason}`).join(' — ')}`, { refusals: plan.refusals });
    const apply = request.query.dry_run === 'false';
    if (apply && plan.steps.length) {
      await applyMigration(ctx.engine, plan);
      await opts.onDataChanged();
    }
    return { applied: apply, steps: plan.steps, upToDate: plan.upToDate };
  });
};


/** The SHA-256 the client declares: the sha256 parameter, else Content-Digest / Digest. */
function expectedDigest(param: string | undefined, headers: Record<string, string | string[] | undefined>): string | undefined {
  if (param !== undefined) {
    const hex = sha256Hex(param);
    if (!hex) throw new AppError('INVALID_REQUEST', `sha256: 64 cifre esadecimali (o base64 di 32 byte), ricevuto "${param.slice(0, 80)}".`);
    return hex;
  }
  return digestFromHeaders(headers);
}
