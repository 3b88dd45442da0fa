/** The load journal: every state change of a load is a row; the latest row of an id is its state. */
import type { Engine } from '../engine/client.ts';
import type { Rejection } from './validate.ts';

export type LoadStatus = 'queued' | 'running' | 'committing' | 'succeeded' | 'checked' | 'rejected' | 'failed' | 'interrupted';

export interface RejectSummary {
  /** The first rejected rows, in file order. */
  first: Rejection[];
  /** Totals by column and reason. */
  totals: { column: string; reason: string; rows: number }[];
  /** Problems with the file as a whole (a required column absent). */
  file: string[];
  /** Columns of the file the table does not declare (ignored). */
  ignoredColumns: string[];
  /** What the loader found out by itself (separator, encoding detected). */
  notes?: string[];
}

export interface LoadRecord {
  id: string;
  table: string;
  fileName: string;
  format: string;
  checksum: string;
  status: LoadStatus;
  rowsRead: number;
  rowsAccepted: number;
  rowsRejected: number;
  maxRejects: number;
  batches: string[];
  rejects: RejectSummary;
  error: string;
  startedAt: string;
  finishedAt: string | null;
  shadowUuid: string;
  /** The table held generated demo data: the load replaced all of it, so real and generated rows never mix. */
  replacedDemo: boolean;
  /** Rows of the batches (or whole table) the load replaces, counted before the swap. */
  rowsReplaced: number;
  /** Why a refused load was refused: rows, file, consistency, shrink, expect_rows, checksum, space; '' otherwise. */
  refusal: string;
  /** Loads of several tables swapped in together (a PON batch) share this id; '' for a single-table load. */
  groupId: string;
}

const EMPTY_REJECTS: RejectSummary = { first: [], totals: [], file: [], ignoredColumns: [] };

export async function writeJournal(engine: Engine, r: LoadRecord): Promise<void> {
  await engine.insert('load_journal', [
    {
      id: r.id,
      updated_at: Date.now(),
      table_name: r.table,
      file_name: r.fileName,
      format: r.format,
      checksum: r.checksum,
      status: r.status,
      rows_read: r.rowsRead,
      rows_accepted: r.rowsAccepted,
      rows_rejected: r.rowsRejected,
      max_rejects: r.maxRejects,
      batches: r.batches,
      rejects: JSON.stringify(r.rejects),
      error: r.error,
      started_at: Date.parse(r.startedAt),
      finished_at: r.finishedAt ? Date.parse(r.finishedAt) : null,
      shadow_uuid: r.shadowUuid,
      replaced_demo: r.replacedDemo,
      rows_replaced: r.rowsReplaced,
      refusal: r.refusal,
      group_id: r.groupId,
    },
  ]);
}

interface JournalRow {
  id: string;
  table_name: string;
  file_name: string;
  format: string;
  checksum: string;
  status: LoadStatus;
  rows_read: number;
  rows_accepted: number;
  rows_rejected: number;
  max_rejects: number;
  batches: string[];
  rejects: string;
  error: string;
  started_at: string;
  finished_at: string | null;
  shadow_uuid: string;
  replaced_demo: boolean;
  rows_replaced: number;
  refusal: string;
  group_id: string;
}

const iso = (t: string | null) => (t ? new Date(`${t.replace(' ', 'T')}Z`).toISOString() : null);

function fromRow(r: JournalRow): LoadRecord {
  let rejects = EMPTY_REJECTS;
  try {
    rejects = r.rejects ? (JSON.parse(r.rejects) as RejectSummary) : EMPTY_REJECTS;
  } catch {
    /* a damaged summary is shown empty */
  }
  return {
    id: r.id,
    table: r.table_name,
    fileName: r.file_name,
    format: r.format,
    checksum: r.checksum,
    status: r.status,
    rowsRead: Number(r.rows_read),
    rowsAccepted: Number(r.rows_accepted),
    rowsRejected: Number(r.rows_rejected),
    maxRejects: Number(r.max_rejects),
    batches: r.batches,
    rejects,
    error: r.error,
    startedAt: iso(r.started_at)!,
    finishedAt: iso(r.finished_at),
    shadowUuid: r.shadow_uuid,
    replacedDemo: Boolean(r.replaced_demo),
    rowsReplaced: Number(r.rows_replaced ?? 0),
    refusal: r.refusal ?? '',
    groupId: r.group_id ?? '',
  };
}

/** The latest state of each load, newest first. */
export async function listLoads(engine: Engine, o: { table?: string; id?: string; group?: string; limit?: number } = {}): Promise<LoadRecord[]> {
  const where = [o.table ? 'table_name = {table:String}' : '', o.id ? 'id = {id:String}' : '', o.group ? 'group_id = {group:String}' : ''].filter(Boolean);
  const rows = await engine.query<JournalRow>(
    `SELECT * EXCEPT updated_at FROM (
       SELECT * FROM ${engine.table('load_journal')} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY updated_at DESC LIMIT 1 BY id
     ) ORDER BY started_at DESC, id DESC LIMIT {limit:UInt32}`,
    { table: o.table ?? '', id: o.id ?? '', group: o.group ?? '', limit: o.limit ?? 100 },
  );
  return rows.map(fromRow);
}

export function emptyRejects(): RejectSummary {
  return { first: [], totals: [], file: [], ignoredColumns: [] };
}
