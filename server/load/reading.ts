/**
 * What reading one file into its staging table needs and gives back, whoever
 * reads it (the engine for CSV and Parquet, server/load/engine-read.ts; the
 * row-by-row reader for NDJSON, server/load/row-read.ts): the load's input and
 * journal record, where to put rows and spools, and progress that also keeps
 * the journal up to date while the file is being read.
 */
import type { Engine } from '../engine/client.ts';
import type { TableDef } from '../model/types.ts';
import type { Refusal } from './guards.ts';
import { writeJournal, type LoadRecord, type RejectSummary } from './journal.ts';
import type { LoadInput } from './run.ts';

/** The journal gets the rows read so far every this many rows: an interrupted load shows how far it got. */
const JOURNAL_EVERY_ROWS = 100_000;

export interface Reading {
  engine: Engine;
  input: LoadInput;
  table: TableDef;
  record: LoadRecord;
  staging: string;
  /** Name for the raw staging table of a file streamed to a server. */
  raw: string;
  /** Files written for this load (spooled uploads), deleted when it ends. */
  spools: string[];
  progress: Progress;
}

export interface ReadOutcome {
  checksum: string;
  fileProblems: string[];
  rejects: RejectSummary;
  /** Why the file, read to the end, may not be loaded. */
  refusal?: Refusal;
}

/** Reports progress (rows read so far in `record.rowsRead`) and journals it every 100,000 rows. */
export class Progress {
  private readonly started = performance.now();
  private lastJournal = 0;
  private journaling: Promise<void> = Promise.resolve();
  bytesRead = 0;
  fraction: number | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly input: LoadInput,
    private readonly record: LoadRecord,
  ) {}

  report(phase: 'reading' | 'committing' = 'reading'): void {
    const { record, input } = this;
    input.onProgress?.({
      id: record.id, phase, rowsRead: record.rowsRead, rowsRejected: record.rowsRejected, bytesRead: this.bytesRead,
      fraction: this.fraction ?? (input.totalBytes ? Math.min(1, this.bytesRead / input.totalBytes) : undefined),
      rowsPerSecond: record.rowsRead / Math.max(0.001, (performance.now() - this.started) / 1000),
    });
    if (phase === 'reading' && record.rowsRead - this.lastJournal >= JOURNAL_EVERY_ROWS) {
      this.lastJournal = record.rowsRead;
      const snapshot = { ...record };
      this.journaling = this.journaling.then(() => writeJournal(this.engine, snapshot)).catch(() => undefined);
    }
  }

  /** Waits for the journal writes under way. */
  async settled(): Promise<void> {
    await this.journaling;
  }
}
