/**
 * Admin: loads and schema over HTTP, for when the server owns the engine.
 * POST /v1/admin/loads streams the request body into the same loader as
 * `npm run load` (Parquet, which needs random access, is spooled to disk
 * first); nothing is buffered whole in memory.
 */
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { listLoads, type LoadRecord } from '../../load/journal.ts';
import { ENCODINGS, FILE_FORMATS, type FileFormat } from '../../load/readers.ts';
import { runLoad, type LoadProgress } from '../../load/run.ts';
import type { QueryContext } from '../../query/execute.ts';
import { applyMigration, planMigration } from '../../tables/migrate.ts';
import { adminOf } from '../auth.ts';

export interface LoadRoutesOptions {
  context: () => QueryContext;
  /** Folder for spooled Parquet uploads. */
  spoolDir: string;
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

const Rejection = z.object({ line: z.number(), column: z.string(), reason: z.string(), value: z.string().optional() });
export const LoadRecordSchema = z.object({
  id: z.string().describe('load id, also the data version of the table after it'),
  table: z.string(),
  fileName: z.string(),
  format: z.string(),
  checksum: z.string().describe('SHA-256 of the file'),
  status: z.enum(['running', 'committing', 'succeeded', 'checked', 'rejected', 'failed', 'interrupted']),
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
  }),
  error: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  replacedDemo: z.boolean().describe('the table held generated demo data: the load replaced all of it'),
  progress: z.object({ rowsRead: z.number(), rowsRejected: z.number(), bytesRead: z.number(), fraction: z.number().optional(), rowsPerSecond: z.number(), phase: z.string() }).optional(),
});

const LoadQuery = z.object({
  table: z.string().min(1).describe('declared table to load'),
  format: z.enum(FILE_FORMATS as [FileFormat, ...FileFormat[]]).optional().describe('default from Content-Type (text/csv, application/x-ndjson, application/vnd.apache.parquet)'),
  separator: z.string().length(1).default(',').describe('CSV field separator, e.g. ;'),
  encoding: z.enum(ENCODINGS as ['utf-8', 'latin1']).default('utf-8').describe('CSV/NDJSON text encoding'),
  max_rejects: z.coerce.number().int().min(0).default(0).describe('rejected rows tolerated; default 0: all or nothing'),
  file_name: z.string().max(200).optional().describe('name of the file, kept in the journal'),
  check: z.enum(['true', 'false']).default('false').describe('true: validate the whole file and report, load nothing (status checked)'),
});

const publicRecord = ({ shadowUuid: _, ...r }: LoadRecord) => r;

export const loadRoutes: FastifyPluginAsyncZod<LoadRoutesOptions> = async (app, opts) => {
  // Bodies of data files are handed to the loader as streams, never parsed or buffered by Fastify.
  for (const type of Object.keys(CONTENT_TYPES)) app.addContentTypeParser(type, (_req, payload, done) => done(null, payload));
  const running = new Map<string, LoadProgress>();

  app.post('/v1/admin/loads', {
    schema: {
      tags: ['admin'],
      summary: 'Carica un file in una tabella dichiarata (tutto o niente)',
      description:
        'Corpo: il file (text/csv, application/x-ndjson o application/vnd.apache.parquet). Ogni riga è validata; con righe scartate oltre max_rejects nulla cambia (422 con i motivi). ' +
        'I dati diventano visibili in un solo passo; ricaricare lo stesso lotto lo sostituisce.',
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
    const ctx = opts.context();
    let spooled: string | undefined;
    try {
      if (format === 'parquet') {
        mkdirSync(opts.spoolDir, { recursive: true });
        spooled = join(opts.spoolDir, `upload-${randomBytes(6).toString('hex')}.parquet`);
        await pipeline(body, createWriteStream(spooled));
      }
      const totalBytes = Number(request.headers['content-length']) || undefined;
      let id = '';
      const record = await runLoad(ctx.engine, ctx.model, {
        table: q.table,
        format,
        ...(spooled ? { path: spooled } : { bytes: body }),
        fileName: q.file_name ?? `upload.${format}`,
        totalBytes,
        separator: q.separator,
        encoding: q.encoding,
        maxRejects: q.max_rejects,
        checkOnly: q.check === 'true',
        onProgress: (p) => running.set((id = p.id), p),
      });
      running.delete(id);
      if (record.status === 'succeeded') await opts.onDataChanged();
      if (record.status === 'rejected') throw new AppError('LOAD_REJECTED', `Caricamento ${record.id} rifiutato: ${record.error}`, { load: publicRecord(record) });
      request.log.info({ load: record.id, table: record.table, rows: record.rowsAccepted }, 'load succeeded');
      return reply.code(record.status === 'checked' ? 200 : 201).send(publicRecord(record));
    } finally {
      if (spooled) rmSync(spooled, { force: true });
    }
  });

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
    return { loads: loads.map((l) => ({ ...publicRecord(l), ...(running.has(l.id) ? { progress: running.get(l.id) } : {}) })) };
  });

  app.get('/v1/admin/loads/:id', {
    schema: { tags: ['admin'], summary: 'Un caricamento, con le righe scartate e i motivi', params: z.object({ id: z.string() }), response: { 200: LoadRecordSchema } },
  }, async (request) => {
    adminOf(request);
    const [load] = await listLoads(opts.context().engine, { id: request.params.id, limit: 1 });
    if (!load) throw new AppError('NOT_FOUND', `Nessun caricamento con id ${request.params.id}.`);
    return { ...publicRecord(load), ...(running.has(load.id) ? { progress: running.get(load.id) } : {}) };
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

