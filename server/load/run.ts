/**
 * Loads, all or nothing: each file's rows are validated and written to a
 * staging table; only when every file is read to the end, the rejects are
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
import { createHash, randomBytes } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import type { Engine } from '../engine/client.ts';
import { AppError } from '../errors.ts';
import type { Model, TableDef } from '../model/types.ts';
import { dataInfo } from '../data/bootstrap.ts';
import { assembleIncoming, batchRows, dropNow, stagedBatches, swap, tableUuid } from './commit.ts';
import { checkConsistency, hasCrossTableRules } from './consistency.ts';
import { checkChecksum, checkExpectedRows, checkFreeSpace, checkShrink, DEFAULT_SHRINK_SHARE, spaceNeeded, type Refusal } from './guards.ts';
import { emptyRejects, writeJournal, type LoadRecord } from './journal.ts';
import { checkTableMatches, referenceData } from './prepare.ts';
import { csvRecords, FileError, ndjsonRecords, parquetRecords, type Encoding, type FileFormat, type RecordSource } from './readers.ts';
import { separatorName, sniffCsv } from './sniff.ts';
import { removeSpool, spoolPath, spoolTo } from './spool.ts';
import { RejectTally, StagingWriter } from './staging.ts';
import { compileValidator } from './validate.ts';

export interface LoadInput {
  table: string;
  format: FileFormat;
  /** The file's bytes (CSV, NDJSON; Parquet too when `spoolDir` is given) or its path (Parquet needs random access). */
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
  /** Parquet bytes are written here first (an HTTP upload); the file is deleted when the load ends. */
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
const INSERT_BATCH = 50_000;
/** The journal gets the rows read so far every this many rows: an interrupted load shows how far it got. */
const JOURNAL_EVERY_ROWS = 100_000;

/** Only one load at a time per process: loads of the same table must not interleave their swaps. */
let queue: Promise<unknown> = Promise.resolve();

export function newLoadId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '')}-${randomBytes(3).toString('hex')}`;
}

/** Names of a load's staging and shadow tables, derived from its id (recovery finds them again). */
export function workTables(table: string, id: string): { staging: string; shadow: string } {
  const suffix = id.replace(/-/g, '_');
  return { staging: `${STAGING_PREFIX}${table}_${suffix}`, shadow: `${SHADOW_PREFIX}${table}_${suffix}` };
}

interface Item {
  input: LoadInput;
  table: TableDef;
  record: LoadRecord;
  staging: string;
  shadow: string;
  spooled?: string;
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
    const item: Item = { input, table, record, ...workTables(table.name, id), finished: false };
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
    const space = await checkFreeSpace(engine, bytes ? spaceNeeded(bytes, items.some((i) => i.input.spoolDir && i.input.format === 'parquet')) : undefined);
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
      for (const t of [item.staging, item.shadow]) await dropNow(engine, t).catch(() => undefined);
      if (item.spooled) removeSpool(item.spooled);
    }
  }
}

/** Reads one file into its staging table: validation, rejects, checksum, the guards on what was sent. */
async function readInto(engine: Engine, item: Item): Promise<void> {
  const { input, table, record } = item;
  await engine.command(`CREATE TABLE ${engine.table(item.staging)} AS ${engine.table(table.name)}`);
  const checksum = createHash('sha256');
  let bytesRead = 0;
  let path = input.path;
  let stream = input.bytes;
  // A stream that failed or closed while the load waited would never deliver data nor end.
  if (stream && (item.streamError || stream.destroyed)) throw item.streamError ?? new Error('il flusso del file si è chiuso prima della lettura');
  if (input.format === 'parquet' && stream && input.spoolDir) {
    item.spooled = path = spoolPath(input.spoolDir, 'parquet');
    await spoolTo(stream, path);
    stream = undefined;
  }
  const counted = stream?.pipe(
    new Transform({
      transform(chunk: Buffer, _e, done) {
        checksum.update(chunk);
        bytesRead += chunk.length;
        done(null, chunk);
      },
    }),
  );
  stream?.on('error', (err) => counted?.destroy(err));
  let fraction: number | undefined;
  const notes: string[] = [];
  let separatorHint = '';
  const source = await openSource(input, path, counted, (f) => (fraction = f), table, notes, (h) => (separatorHint = h));
  const started = performance.now();
  const progress = (phase: LoadProgress['phase']) =>
    input.onProgress?.({
      id: record.id, phase, rowsRead: record.rowsRead, rowsRejected: record.rowsRejected, bytesRead,
      fraction: fraction ?? (input.totalBytes ? Math.min(1, bytesRead / input.totalBytes) : undefined),
      rowsPerSecond: record.rowsRead / Math.max(0.001, (performance.now() - started) / 1000),
    });

  const validator = compileValidator(table, await referenceData(engine, table));
  let checkFields: ((fields: readonly unknown[]) => ReturnType<typeof validator.check>) | undefined;
  const rejects = new RejectTally(input.reportRejects ?? 100);
  const writer = new StagingWriter(engine, item.staging, INSERT_BATCH);
  let fileProblems: string[] = [];
  let ignoredColumns: string[] = [];
  let lastProgress = 0;
  let lastJournal = 0;
  const maxRejects = input.maxRejects ?? 0;

  for await (const rec of source.records) {
    if (record.rowsRead === 0 && input.format !== 'ndjson') {
      const columns = (await source.columns()) ?? Object.keys(rec.values ?? {});
      fileProblems = validator.checkHeader(columns);
      if (fileProblems.length && separatorHint) fileProblems.push(separatorHint);
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
      if (record.rowsRead - lastJournal >= JOURNAL_EVERY_ROWS) {
        lastJournal = record.rowsRead;
        await writeJournal(engine, record);
      }
    }
  }
  await writer.finish();
  record.rowsAccepted = writer.written;
  record.checksum = path && !counted ? await fileChecksum(path) : checksum.digest('hex');
  record.rejects = rejects.summary(fileProblems, ignoredColumns);
  if (notes.length) record.rejects.notes = notes;
  progress('reading');

  const r = (kind: Refusal['kind'], message: string): Refusal => ({ kind, message });
  item.refusal =
    checkChecksum(input.sha256, record.checksum) ??
    checkExpectedRows(input.expectRows, record.rowsRead) ??
    (fileProblems.length ? r('file', `il file non ha le colonne richieste: ${fileProblems.join('; ')}`) : undefined) ??
    (record.rowsRejected > maxRejects
      ? r('rows', `${record.rowsRejected} righe scartate, ${maxRejects === 0 ? 'nessuna ammessa (tutto o niente)' : `al massimo ${maxRejects} ammesse`}: nessuna riga caricata`)
      : undefined) ??
    (record.rowsAccepted === 0 ? r('rows', 'nessuna riga valida nel file: nessuna riga caricata') : undefined);
  if (item.refusal) record.refusal = item.refusal.kind;
}

async function openSource(
  input: LoadInput,
  path: string | undefined,
  bytes: Readable | undefined,
  onFraction: (f: number) => void,
  table: TableDef,
  notes: string[],
  onHint: (hint: string) => void,
): Promise<RecordSource> {
  if (input.format === 'parquet') {
    if (!path) throw new AppError('INVALID_REQUEST', 'Parquet va letto da un file.');
    return parquetRecords(path, onFraction);
  }
  if (!bytes) throw new AppError('INVALID_REQUEST', 'nessun dato da caricare');
  if (input.format === 'ndjson') return ndjsonRecords(bytes, input.encoding ?? 'utf-8');
  const sniffed = await sniffCsv(bytes, { separator: input.separator, encoding: input.encoding, expected: table.columns.map((c) => c.name) });
  notes.push(...sniffed.notes);
  if (sniffed.best !== sniffed.separator)
    onHint(`l'intestazione sembra separata da ${separatorName(sniffed.best)}, non da ${separatorName(sniffed.separator)}: togliere l'opzione del separatore (è rilevato da solo) oppure indicare --separator '${sniffed.best === '\t' ? '\\t' : sniffed.best}' (separator=${encodeURIComponent(sniffed.best)})`);
  return csvRecords(sniffed.bytes, { separator: sniffed.separator, encoding: sniffed.encoding });
}

async function fileChecksum(path: string): Promise<string> {
  const { createReadStream } = await import('node:fs');
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
