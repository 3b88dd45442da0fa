/**
 * One load, all or nothing: the file's rows are validated and written to a
 * staging table; only when the file is read to the end and the rejects are
 * within the policy does the table change, in one step: a new table is
 * assembled from the untouched batches of the current one and the batches of
 * the staging table (hard links, no copy), then swapped in with EXCHANGE
 * TABLES. Queries see the old table or the new one, never a mix. Anything
 * that stops the load before the swap leaves the table as it was.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import type { Engine } from '../engine/client.ts';
import { quoteIdentifier } from '../engine/client.ts';
import { AppError } from '../errors.ts';
import type { Model, TableDef } from '../model/types.ts';
import { normaliseType, storedType } from '../tables/ddl.ts';
import { dataInfo } from '../data/bootstrap.ts';
import { emptyRejects, writeJournal, type LoadRecord } from './journal.ts';
import { csvRecords, ndjsonRecords, parquetRecords, type Encoding, type FileFormat, type RecordSource } from './readers.ts';
import { RejectTally, StagingWriter } from './staging.ts';
import { codesKey, compileValidator, lookupKey, type ReferenceData } from './validate.ts';

export interface LoadInput {
  table: string;
  format: FileFormat;
  /** The file's bytes (CSV, NDJSON) or its path (required for Parquet, which needs random access). */
  bytes?: Readable;
  path?: string;
  fileName: string;
  /** Size of the file in bytes when known: progress as a percentage. */
  totalBytes?: number;
  separator?: string;
  encoding?: Encoding;
  /** Rejected rows tolerated (default 0: all or nothing). */
  maxRejects?: number;
  /** Rejected rows reported in full (default 100). */
  reportRejects?: number;
  /** Validate the whole file and report, but change nothing (status `checked`). */
  checkOnly?: boolean;
  onProgress?: (p: LoadProgress) => void;
}

export interface LoadProgress {
  id: string;
  rowsRead: number;
  rowsRejected: number;
  bytesRead: number;
  /** 0..1 when the size is known. */
  fraction?: number;
  rowsPerSecond: number;
  phase: 'reading' | 'committing';
}

export const STAGING_PREFIX = '_stg_';
export const SHADOW_PREFIX = '_new_';
const INSERT_BATCH = 50_000;

/** Only one load at a time per process: loads of the same table must not interleave their swaps. */
let queue: Promise<unknown> = Promise.resolve();

export function newLoadId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '')}-${randomBytes(3).toString('hex')}`;
}

export function runLoad(engine: Engine, model: Model, input: LoadInput): Promise<LoadRecord> {
  const run = queue.then(() => load(engine, model, input));
  queue = run.catch(() => undefined);
  return run;
}

async function load(engine: Engine, model: Model, input: LoadInput): Promise<LoadRecord> {
  const table = model.tables.get(input.table);
  if (!table)
    throw new AppError('INVALID_REQUEST', `La tabella ${input.table} non è dichiarata in nessun file dei cubi; tabelle caricabili: ${[...model.tables.keys()].join(', ') || 'nessuna'}.`);
  await checkTableMatches(engine, table);

  const id = newLoadId();
  const suffix = id.replace(/-/g, '_');
  const staging = `${STAGING_PREFIX}${table.name}_${suffix}`;
  const shadow = `${SHADOW_PREFIX}${table.name}_${suffix}`;
  const maxRejects = input.maxRejects ?? 0;
  const record: LoadRecord = {
    id, table: table.name, fileName: input.fileName, format: input.format, checksum: '', status: 'running',
    rowsRead: 0, rowsAccepted: 0, rowsRejected: 0, maxRejects, batches: [], rejects: emptyRejects(), error: '',
    startedAt: new Date().toISOString(), finishedAt: null, shadowUuid: '', replacedDemo: false,
  };
  await writeJournal(engine, record);
  const finish = async (status: LoadRecord['status'], error = '') => {
    Object.assign(record, { status, error, finishedAt: new Date().toISOString() });
    await writeJournal(engine, record);
    return record;
  };

  try {
    await engine.command(`CREATE TABLE ${engine.table(staging)} AS ${engine.table(table.name)}`);
    const checksum = createHash('sha256');
    let bytesRead = 0;
    const counted = input.bytes?.pipe(
      new Transform({
        transform(chunk: Buffer, _e, done) {
          checksum.update(chunk);
          bytesRead += chunk.length;
          done(null, chunk);
        },
      }),
    );
    input.bytes?.on('error', (err) => counted?.destroy(err));
    let fraction: number | undefined;
    const source = await openSource(input, counted, (f) => (fraction = f));
    const started = performance.now();
    const progress = (phase: LoadProgress['phase']) =>
      input.onProgress?.({
        id, phase, rowsRead: record.rowsRead, rowsRejected: record.rowsRejected, bytesRead,
        fraction: fraction ?? (input.totalBytes ? Math.min(1, bytesRead / input.totalBytes) : undefined),
        rowsPerSecond: record.rowsRead / Math.max(0.001, (performance.now() - started) / 1000),
      });

    const validator = compileValidator(table, await referenceData(engine, table));
    let checkFields: ((fields: readonly unknown[]) => ReturnType<typeof validator.check>) | undefined;
    const rejects = new RejectTally(input.reportRejects ?? 100);
    const writer = new StagingWriter(engine, staging, INSERT_BATCH);
    let fileProblems: string[] = [];
    let ignoredColumns: string[] = [];
    let lastProgress = 0;

    for await (const rec of source.records) {
      if (record.rowsRead === 0 && input.format !== 'ndjson') {
        const columns = (await source.columns()) ?? Object.keys(rec.values ?? {});
        fileProblems = validator.checkHeader(columns);
        ignoredColumns = validator.ignoredColumns(columns);
        checkFields = validator.forHeader(columns);
      }
      record.rowsRead++;
      // A file without a required column is refused as a whole; it is still read to the end (checksum, request body).
      if (fileProblems.length) continue;
      const checked = rec.problem
        ? { ok: false as const, errors: [{ column: '', reason: rec.problem }] }
        : rec.fields && checkFields ? checkFields(rec.fields) : validator.check(rec.values ?? {});
      if (checked.ok) await writer.add(checked.values);
      else {
        rejects.add(rec.line, checked.errors);
        record.rowsRejected = rejects.rows;
      }
      if (record.rowsRead - lastProgress >= 20_000) {
        lastProgress = record.rowsRead;
        record.rowsAccepted = writer.written;
        progress('reading');
      }
    }
    await writer.finish();
    record.rowsAccepted = writer.written;
    record.checksum = input.path && !input.bytes ? await fileChecksum(input.path) : checksum.digest('hex');
    record.rejects = rejects.summary(fileProblems, ignoredColumns);
    progress('reading');

    if (fileProblems.length) return await rejectWith(`il file non ha le colonne richieste: ${fileProblems.join('; ')}`);
    if (record.rowsRejected > maxRejects)
      return await rejectWith(`${record.rowsRejected} righe scartate, ${maxRejects === 0 ? 'nessuna ammessa (tutto o niente)' : `al massimo ${maxRejects} ammesse`}: nessuna riga caricata`);
    if (record.rowsAccepted === 0) return await rejectWith('nessuna riga valida nel file: nessuna riga caricata');
    if (input.checkOnly) return await finish('checked', 'solo verifica (--check): il file si può caricare, nessuna riga caricata');

    progress('committing');
    // Real rows never sit beside generated ones: the first real load into a demo table replaces all of it.
    record.replacedDemo = (await dataInfo(engine)).details[table.name]?.generated === true;
    await commit(engine, table, staging, shadow, record);
    await engine.insert('data_versions', [
      { source: table.name, loaded_at: Date.now(), rows: record.rowsAccepted, generated: false, note: `caricamento ${id}: ${input.fileName} (sha256 ${record.checksum.slice(0, 12)}…)`, version: id },
    ]);
    return await finish('succeeded');
  } catch (err) {
    await finish('failed', (err as Error).message.split('\n')[0]).catch(() => undefined);
    throw err instanceof AppError ? err : new AppError('LOAD_FAILED', `Caricamento ${id} non riuscito, dati precedenti intatti: ${(err as Error).message.split('\n')[0]}`);
  } finally {
    for (const t of [staging, shadow]) await engine.command(`DROP TABLE IF EXISTS ${engine.table(t)}`).catch(() => undefined);
  }

  async function rejectWith(reason: string) {
    return finish('rejected', reason);
  }
}

/** The swap: the new table is the current one with the loaded batches replaced (or the staging table itself when the table has no batches, or held demo data). */
async function commit(engine: Engine, table: TableDef, staging: string, shadow: string, record: LoadRecord): Promise<void> {
  const partitions = async (name: string) =>
    (await engine.query<{ id: string; p: string }>(
      'SELECT DISTINCT partition_id AS id, partition AS p FROM system.parts WHERE database = {db:String} AND table = {t:String} AND active',
      { db: engine.database, t: name },
    ));
  let incoming = staging;
  if (table.batch.length) record.batches = (await partitions(staging)).map((p) => p.p).sort();
  if (table.batch.length && !record.replacedDemo) {
    const loaded = await partitions(staging);
    const replaced = new Set(loaded.map((p) => p.id));
    await engine.command(`CREATE TABLE ${engine.table(shadow)} AS ${engine.table(table.name)}`);
    for (const p of await partitions(table.name))
      if (!replaced.has(p.id)) await engine.command(`ALTER TABLE ${engine.table(shadow)} ATTACH PARTITION ID {id:String} FROM ${engine.table(table.name)}`, { id: p.id });
    for (const p of loaded) await engine.command(`ALTER TABLE ${engine.table(shadow)} ATTACH PARTITION ID {id:String} FROM ${engine.table(staging)}`, { id: p.id });
    incoming = shadow;
  }
  const [{ uuid }] = await engine.query<{ uuid: string }>('SELECT toString(uuid) AS uuid FROM system.tables WHERE database = {db:String} AND name = {t:String}', { db: engine.database, t: incoming });
  record.status = 'committing';
  record.shadowUuid = uuid;
  await writeJournal(engine, record);
  await engine.command(`EXCHANGE TABLES ${engine.table(table.name)} AND ${engine.table(incoming)}`);
}

async function openSource(input: LoadInput, bytes: Readable | undefined, onFraction: (f: number) => void): Promise<RecordSource> {
  if (input.format === 'parquet') {
    if (!input.path) throw new AppError('INVALID_REQUEST', 'Parquet va letto da un file.');
    return parquetRecords(input.path, onFraction);
  }
  if (!bytes) throw new AppError('INVALID_REQUEST', 'nessun dato da caricare');
  if (input.format === 'ndjson') return ndjsonRecords(bytes, input.encoding ?? 'utf-8');
  return csvRecords(bytes, { separator: input.separator ?? ',', encoding: input.encoding ?? 'utf-8' });
}

async function fileChecksum(path: string): Promise<string> {
  const { createReadStream } = await import('node:fs');
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Reference values the rules need: allowed codes and lookup maps, read once per load. */
async function referenceData(engine: Engine, table: TableDef): Promise<ReferenceData> {
  const codes = new Map<string, Set<string>>();
  const lookups = new Map<string, Map<string, unknown>>();
  for (const c of table.columns) {
    try {
      if (c.codes && !codes.has(codesKey(c.codes))) {
        const rows = await engine.query<{ v: string }>(`SELECT DISTINCT toString(${quoteIdentifier(c.codes.column)}) AS v FROM ${engine.table(c.codes.table)}`);
        codes.set(codesKey(c.codes), new Set(rows.map((r) => r.v)));
      }
      if (c.lookup && !lookups.has(lookupKey(c.lookup))) {
        const rows = await engine.query<{ k: string; v: unknown }>(
          `SELECT toString(${quoteIdentifier(c.lookup.by)}) AS k, any(${quoteIdentifier(c.lookup.column)}) AS v FROM ${engine.table(c.lookup.table)} GROUP BY k`,
        );
        lookups.set(lookupKey(c.lookup), new Map(rows.map((r) => [r.k, r.v])));
      }
    } catch (err) {
      throw new AppError('INVALID_REQUEST', `Colonna ${c.name}: la tabella di riferimento non è leggibile (${(err as Error).message.split('\n')[0]}).`);
    }
  }
  return { codes, lookups };
}

/** A load needs the table as declared: otherwise `npm run schema` first. */
async function checkTableMatches(engine: Engine, table: TableDef): Promise<void> {
  const columns = await engine.query<{ name: string; type: string }>(
    'SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {t:String} ORDER BY position',
    { db: engine.database, t: table.name },
  );
  if (!columns.length) throw new AppError('TABLE_NOT_READY', `La tabella ${table.name} non esiste ancora: eseguire prima npm run schema (oppure POST /v1/admin/schema).`);
  const have = new Map(columns.map((c) => [c.name, normaliseType(c.type)]));
  const differ = table.columns.filter((c) => have.get(c.name) !== normaliseType(storedType(c)));
  if (differ.length || columns.length !== table.columns.length)
    throw new AppError('TABLE_NOT_READY', `La tabella ${table.name} non corrisponde alla dichiarazione in ${table.file} (colonne: ${differ.map((c) => c.name).join(', ') || 'in più nella tabella'}): eseguire prima npm run schema.`);
}
