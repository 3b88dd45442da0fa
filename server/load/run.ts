/**
 * Loads, all or nothing: each file's rows are validated and written to a
 * staging table (CSV and Parquet by the engine itself, server/load/engine-read.ts;
 * NDJSON row by row, server/load/row-read.ts); only when every file is read to the end, the rejects are
 * within the policy, the tables of the batch agree with each other and the
 * guards pass (row count and SHA-256 as sent, free space, shrink) do the
 * tables change, each in one step: a new table is assembled from the
 * untouched batches of the current one and the batches of the staging table
 * (hard links, no copy), then swapped in with EXCHANGE TABLES. Queries see the
 * old table or the new one, never a mix. Several tables loaded together (the
 * five PON tables) are validated across tables and swapped one after the
 * other under one journal group: a crash between two swaps is finished at the
 * next start (server/load/recover.ts). Anything that stops a load before the
 * swap leaves the tables as they were.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Engine } from '../engine/client.ts';
import { AppError } from '../errors.ts';
import type { Model, TableDef } from '../model/types.ts';
import { dataInfo } from '../data/bootstrap.ts';
import { assembleIncoming, batchRows, dropNow, stagedBatches, swap, tableUuid } from './commit.ts';
import { checkConsistency, hasCrossTableRules } from './consistency.ts';
import { readWithEngine } from './engine-read.ts';
import { checkFreeSpace, checkShrink, DEFAULT_SHRINK_SHARE, spaceNeeded, type Refusal } from './guards.ts';
import { emptyRejects, writeJournal, type LoadRecord } from './journal.ts';
import { checkTableMatches } from './prepare.ts';
import { FileError, type Encoding, type FileFormat } from './readers.ts';
import { Progress, type Reading } from './reading.ts';
import { readRows } from './row-read.ts';
import { removeSpool } from './spool.ts';

export interface LoadInput {
  table: string;
  format: FileFormat;
  /** The file's bytes or its path (read where it lies by the embedded engine; NDJSON is always read as bytes). */
  bytes?: Readable;
  path?: string;
  fileName: string;
  /** Size of the file in bytes when known: progress as a percentage, and the free-space check. */
  totalBytes?: number;
  /** CSV separator and text encoding; when absent, detected from the file's first bytes. */
  separator?: string;
  encoding?: Encoding;
  /** Rejected rows tolerated (default 0: all or nothing). */
  maxRejects?: number;
  /** Rejected rows reported in full (default 100). */
  reportRejects?: number;
  /** Validate the whole file and report, but change nothing (status `checked`). */
  checkOnly?: boolean;
  /** Data rows the file must have (--expect-rows, expect_rows). */
  expectRows?: number;
  /** SHA-256 (hex) the file's bytes must have (--sha256, sha256, Content-Digest). */
  sha256?: string;
  /** The admin confirms that the load may replace batches with far fewer rows (--allow-shrink). */
  allowShrink?: boolean;
  /** Share of the replaced rows a load must bring without allowShrink (default 0.8). */
  shrinkShare?: number;
  /** Uploaded bytes the embedded engine reads are written here first (default: the system's temporary folder); the file is deleted when the load ends. */
  spoolDir?: string;
  /** True when the client went away (HTTP): the failure is journaled as a disconnect. */
  disconnected?: () => boolean;
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

/** Only one load at a time per process: loads of the same table must not interleave their swaps. */
let queue: Promise<unknown> = Promise.resolve();

export function newLoadId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '')}-${randomBytes(3).toString('hex')}`;
}

/** Names of a load's staging, raw staging (a file streamed to a server) and shadow tables, derived from its id (recovery finds them again). */
export function workTables(table: string, id: string): { staging: string; raw: string; shadow: string } {
  const suffix = id.replace(/-/g, '_');
  return { staging: `${STAGING_PREFIX}${table}_${suffix}`, raw: `${STAGING_PREFIX}${table}_${suffix}_raw`, shadow: `${SHADOW_PREFIX}${table}_${suffix}` };
}

interface Item {
  input: LoadInput;
  table: TableDef;
  record: LoadRecord;
  staging: string;
  shadow: string;
  raw: string;
  /** Files written for the load (uploads spooled to disk), deleted when it ends. */
  spools: string[];
  finished: boolean;
  refusal?: Refusal;
  /** An error of the file's stream before the load reached it (a client gone while the load waited). */
  streamError?: Error;
}

export async function runLoad(engine: Engine, model: Model, input: LoadInput): Promise<LoadRecord> {
  return (await runLoads(engine, model, [input]))[0];
}

/**
 * Loads one or more files, each into its own declared table, as one batch:
 * all of them are swapped in or none. The loads are journaled as `queued` at
 * once and run one batch at a time.
 */
export async function runLoads(engine: Engine, model: Model, inputs: readonly LoadInput[]): Promise<LoadRecord[]> {
  if (!inputs.length) throw new AppError('INVALID_REQUEST', 'nessun file da caricare');
  const groupId = inputs.length > 1 ? newLoadId() : '';
  const seen = new Set<string>();
  const items: Item[] = inputs.map((input) => {
    const table = model.tables.get(input.table);
    if (!table)
      throw new AppError('INVALID_REQUEST', `La tabella ${input.table} non è dichiarata in nessun file dei cubi; tabelle caricabili: ${[...model.tables.keys()].join(', ') || 'nessuna'}.`);
    if (seen.has(table.name)) throw new AppError('INVALID_REQUEST', `La tabella ${table.name} compare due volte nello stesso caricamento: un file per tabella.`);
    seen.add(table.name);
    const id = newLoadId();
    const record: LoadRecord = {
      id, table: table.name, fileName: input.fileName, format: input.format, checksum: '', status: 'queued',
      rowsRead: 0, rowsAccepted: 0, rowsRejected: 0, maxRejects: input.maxRejects ?? 0, batches: [], rejects: emptyRejects(), error: '',
      startedAt: new Date().toISOString(), finishedAt: null, shadowUuid: '', replacedDemo: false, rowsReplaced: 0, refusal: '', groupId,
    };
    const item: Item = { input, table, record, ...workTables(table.name, id), spools: [], finished: false };
    input.bytes?.on('error', (err) => (item.streamError ??= err));
    return item;
  });
  for (const item of items) await writeJournal(engine, item.record);
  const run = queue.then(() => execute(engine, model, items));
  queue = run.catch(() => undefined);
  return run;
}

async function execute(engine: Engine, model: Model, items: Item[]): Promise<LoadRecord[]> {
  const finish = async (item: Item, status: LoadRecord['status'], error = '') => {
    Object.assign(item.record, { status, error, finishedAt: new Date().toISOString() });
    item.finished = true;
    await writeJournal(engine, item.record);
  };
  /** One refused load refuses the whole batch: the others say why. */
  const refuseAll = async () => {
    await cleanup();
    const refused = items.filter((i) => i.refusal);
    for (const item of items) {
      if (item.refusal) await finish(item, 'rejected', item.refusal.message);
      else {
        item.record.refusal = refused[0].refusal!.kind;
        await finish(item, 'rejected', `rifiutato insieme a ${refused.map((i) => i.table.name).join(', ')}, caricato nello stesso lotto: ${refused[0].refusal!.message}`);
      }
    }
    return items.map((i) => i.record);
  };
  const refuse = (item: Item, r: Refusal | undefined) => {
    if (!r || item.refusal) return;
    item.refusal = r;
    item.record.refusal = r.kind;
  };

  try {
    for (const item of items) await checkTableMatches(engine, item.table);
    const first = items[0].input;
    const bytes = items.reduce((s, i) => s + (i.input.totalBytes ?? 0), 0);
    const space = await checkFreeSpace(engine, bytes ? spaceNeeded(bytes, items.some((i) => engine.transport === 'embedded' && !i.input.path && i.input.format !== 'ndjson')) : undefined);
    if (space) {
      items.forEach((i) => refuse(i, space));
      return await refuseAll();
    }
    for (const item of items) {
      item.record.status = 'running';
      await writeJournal(engine, item.record);
      try {
        await readInto(engine, item);
      } catch (err) {
        if (!(err instanceof FileError)) throw err;
        const at = err.line ? `riga ${err.line}: ` : '';
        item.record.rejects.file.push(`${at}${err.message}`);
        refuse(item, { kind: 'file', message: `file non leggibile, ${at}${err.message}; nessuna riga caricata` });
      }
    }
    if (items.some((i) => i.refusal)) return await refuseAll();

    if (hasCrossTableRules(model, new Set(items.map((i) => i.table.name)))) {
      const problems = await checkConsistency(engine, model, new Map(items.map((i) => [i.table.name, i.staging])));
      for (const item of items) {
        const p = problems.get(item.table.name);
        if (p?.length) {
          item.record.rejects.file.push(...p);
          refuse(item, { kind: 'consistency', message: `dati incoerenti con le altre tabelle: ${p.join('; ')}; nessuna riga caricata` });
        }
      }
      if (items.some((i) => i.refusal)) return await refuseAll();
    }
    if (first.checkOnly) {
      for (const item of items) await finish(item, 'checked', 'solo verifica (--check): il file si può caricare, nessuna riga caricata');
      return items.map((i) => i.record);
    }

    // Real rows never sit beside generated ones: the first real load into a demo table replaces all of it.
    const info = await dataInfo(engine);
    for (const item of items) {
      const demo = info.details[item.table.name] ?? info.details[item.table.name.split('_')[0]];
      item.record.replacedDemo = demo?.generated === true;
      const rows = await batchRows(engine, item.table, item.staging, item.record.replacedDemo);
      item.record.rowsReplaced = rows.reduce((s, b) => s + b.replaced, 0);
      if (item.table.batch.length) item.record.batches = await stagedBatches(engine, item.staging);
      refuse(item, checkShrink(item.table.name, rows, { share: item.input.shrinkShare ?? DEFAULT_SHRINK_SHARE, allow: item.input.allowShrink === true, replacingDemo: item.record.replacedDemo }));
    }
    if (items.some((i) => i.refusal)) return await refuseAll();

    const incoming = new Map<Item, string>();
    for (const item of items) {
      item.input.onProgress?.({ id: item.record.id, phase: 'committing', rowsRead: item.record.rowsRead, rowsRejected: item.record.rowsRejected, bytesRead: 0, fraction: 1, rowsPerSecond: 0 });
      const name = await assembleIncoming(engine, item.table, item.staging, item.shadow, item.record.replacedDemo);
      incoming.set(item, name);
      item.record.status = 'committing';
      item.record.shadowUuid = (await tableUuid(engine, name)) ?? '';
      await writeJournal(engine, item.record);
    }
    for (const item of items) await swap(engine, item.table.name, incoming.get(item)!);
    for (const item of items) {
      const r = item.record;
      await engine.insert('data_versions', [
        { source: r.table, loaded_at: Date.now(), rows: r.rowsAccepted, generated: false, note: `caricamento ${r.id}: ${r.fileName} (sha256 ${r.checksum.slice(0, 12)}…)`, version: r.groupId || r.id },
      ]);
      await finish(item, 'succeeded');
    }
    return items.map((i) => i.record);
  } catch (err) {
    const disconnected = items.some((i) => i.input.disconnected?.());
    const noSpace = (err as { code?: string }).code === 'ENOSPC' || /not enough space|Cannot reserve/i.test((err as Error).message);
    const reason = disconnected
      ? `connessione interrotta dal client durante l'invio del file: dati precedenti intatti`
      : noSpace
        ? `spazio su disco esaurito durante il caricamento (${(err as Error).message.split('\n')[0].slice(0, 200)}): dati precedenti intatti, lo spazio occupato dal caricamento è già stato liberato; liberare spazio e riprovare`
        : (err as Error).message.split('\n')[0];
    // Space back before the journal says the load is over: whoever reads `failed` finds nothing left behind.
    await cleanup();
    for (const item of items) if (!item.finished) await finish(item, 'failed', reason).catch(() => undefined);
    if (err instanceof AppError) throw err;
    if (noSpace) throw new AppError('LOAD_NO_SPACE', `Caricamento ${items[0].record.id} non riuscito: ${reason}`);
    const id = items.length > 1 ? `del lotto ${items[0].record.groupId}` : items[0].record.id;
    throw new AppError('LOAD_FAILED', `Caricamento ${id} non riuscito, dati precedenti intatti: ${reason}`);
  } finally {
    await cleanup();
  }

  async function cleanup() {
    for (const item of items) {
      for (const t of [item.staging, item.raw, item.shadow]) await dropNow(engine, t).catch(() => undefined);
      for (const path of item.spools.splice(0)) removeSpool(path);
    }
  }
}

/**
 * Reads one file into its staging table: validation, rejects, checksum, the
 * guards on what was sent. CSV and Parquet are read and checked by the engine,
 * NDJSON row by row (server/load/row-read.ts says why).
 */
async function readInto(engine: Engine, item: Item): Promise<void> {
  const { input, table, record } = item;
  await engine.command(`CREATE TABLE ${engine.table(item.staging)} AS ${engine.table(table.name)}`);
  // A stream that failed or closed while the load waited would never deliver data nor end.
  const stream = input.bytes;
  if (stream && (item.streamError || stream.destroyed)) throw item.streamError ?? new Error('il flusso del file si è chiuso prima della lettura');
  const progress = new Progress(engine, input, record);
  const reading: Reading = { engine, input, table, record, staging: item.staging, raw: item.raw, spools: item.spools, progress };
  try {
    const outcome = input.format === 'ndjson' ? await readRows(reading) : await readWithEngine(reading);
    record.checksum = outcome.checksum;
    record.rejects = outcome.rejects;
    item.refusal = outcome.refusal;
    if (item.refusal) record.refusal = item.refusal.kind;
  } finally {
    await progress.settled();
  }
}
