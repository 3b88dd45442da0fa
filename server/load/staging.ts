/**
 * The two accumulators of a load: valid rows written to the staging table in
 * TabSeparated batches (one batch inserted while the next is being parsed),
 * and rejected rows tallied by column and reason, the first ones kept whole.
 */
import type { Engine } from '../engine/client.ts';
import type { RejectSummary } from './journal.ts';
import type { Rejection } from './validate.ts';

const TSV_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A value as a TabSeparated field: NULL as \N, strings escaped. */
export function tsvField(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'string') return v.replace(/[\\\t\n\r]/g, (c) => TSV_ESCAPES[c]);
  return String(v);
}

export class StagingWriter {
  private lines: string[] = [];
  private inflight: Promise<void> | undefined;
  /** Rows the engine has acknowledged. */
  written = 0;

  constructor(
    private readonly engine: Engine,
    private readonly table: string,
    private readonly batchRows = 50_000,
  ) {}

  /** Adds a row (values in the table's column order); writes a batch when one is full. */
  async add(values: readonly unknown[]): Promise<void> {
    this.lines.push(values.map(tsvField).join('\t'));
    if (this.lines.length >= this.batchRows) await this.flush();
  }

  /** Writes what is pending and waits until the engine has every row. */
  async finish(): Promise<void> {
    await this.flush();
    await this.inflight;
  }

  private async flush(): Promise<void> {
    if (!this.lines.length) return;
    const text = `${this.lines.join('\n')}\n`;
    const n = this.lines.length;
    this.lines = [];
    if (this.inflight) await this.inflight;
    this.inflight = this.engine.insertText(this.table, 'TabSeparated', text).then(() => void (this.written += n));
    this.inflight.catch(() => undefined); // surfaced when awaited
  }
}

/** Reasons differing only in their parenthesised detail are one total. */
export const totalKey = (column: string, reason: string) => `${column}\u0000${reason.replace(/\(.*\)$/, '')}`;

export class RejectTally {
  private readonly first: Rejection[] = [];
  private readonly totals = new Map<string, { column: string; reason: string; rows: number }>();
  /** Rejected rows (a row with several problems counts once). */
  rows = 0;

  constructor(private readonly keep = 100) {}

  add(line: number, errors: readonly Omit<Rejection, 'line'>[]): void {
    this.rows++;
    for (const e of errors) {
      const key = totalKey(e.column, e.reason);
      const t = this.totals.get(key) ?? { column: e.column, reason: e.reason, rows: 0 };
      t.rows++;
      this.totals.set(key, t);
      if (this.first.length < this.keep) this.first.push({ line, ...e });
    }
  }

  summary(file: string[], ignoredColumns: string[]): RejectSummary {
    return { first: this.first, totals: [...this.totals.values()].sort((a, b) => b.rows - a.rows), file, ignoredColumns };
  }
}
