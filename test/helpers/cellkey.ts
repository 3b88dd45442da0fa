/**
 * The published figures of a protected answer, computed from the truth by hand: cell keys in the
 * test's own SQL (distinct persons summed in a subquery, not by the compiler's sumWithOverflowDistinct),
 * the documented p-table and amount rule applied to them. Tests compare protected answers with it.
 */
import type { Engine } from '../../server/engine/client.ts';
import type { Disclosure } from '../../server/model/types.ts';
import { amountFactor, cellKeySecret, ptableFor, splitKey } from '../../server/security/disclosure.ts';
import { perturbCount } from '../../server/security/ptable.ts';
import { TEST_CELL_KEY_SECRET } from './app.ts';

export type HandMeasure =
  | { kind: 'persons'; where?: string }
  | { kind: 'distinct'; column: string; where?: string }
  | { kind: 'records'; where?: string }
  | { kind: 'amount'; column: string; where?: string };

export interface HandTable {
  /** Qualified table name. */
  table: string;
  /** SQL condition (the scope and filters), with `params`. */
  where: string;
  params?: Record<string, unknown>;
  /** SQL expressions of the cell's dimensions. */
  dims: string[];
  rule: Disclosure;
}

type Cells = Map<string, { n: number; key: string; top?: number; total?: number }>;

/** Published figures per cell (dimension values as text joined by '|'); cells published as 0 persons are absent. */
export async function protectedTruth(engine: Engine, t: HandTable, measures: Record<string, HandMeasure>): Promise<Map<string, Record<string, number>>> {
  const [s0, s1] = cellKeySecret(TEST_CELL_KEY_SECRET);
  const params = { ...t.params, ck0: s0, ck1: s1 };
  const hash = (...units: string[]) => `sipHash64Keyed(({ck0:UInt64}, {ck1:UInt64}), ${units.join(', ')})`;
  const dimCols = t.dims.map((d, i) => `toString(${d}) AS k${i}`);
  const keyOf = (r: Record<string, unknown>) => t.dims.map((_, i) => r[`k${i}`]).join('|');
  const group = t.dims.length ? `GROUP BY ${t.dims.map((_, i) => `k${i}`).join(', ')}` : '';
  const where = (w?: string) => `(${t.where})${w ? ` AND (${w})` : ''}`;
  const record = [t.rule.person, ...t.rule.records];
  const run = async (sql: string): Promise<Cells> => {
    const rows = await engine.query<Record<string, unknown>>(sql, params);
    return new Map(rows.map((r) => [keyOf(r), { n: Number(r.n), key: String(r.key), top: r.top === undefined ? undefined : Number(r.top), total: r.total === undefined ? undefined : Number(r.total) }]));
  };
  // Distinct units: one row per (cell, unit) first, then the keys added up (UInt64 sum wraps mod 2^64).
  const distinct = (unit: string, w?: string) =>
    run(`SELECT ${[...t.dims.map((_, i) => `k${i}`), 'count() n', 'toString(sum(h)) key'].join(', ')}
         FROM (SELECT DISTINCT ${[...dimCols, `${hash(unit)} AS h`].join(', ')} FROM ${t.table} WHERE ${where(w)}) ${group}`);
  // A record's key: the keyed hash of the unkeyed 64-bit hash of its columns, or of the person alone when no column is declared (docs/riservatezza.md).
  const recordUnit = record.length === 1 ? record[0] : `cityHash64(${record.join(', ')})`;
  const records = (w?: string) => run(`SELECT ${[...dimCols, 'count() n', `toString(sum(${hash(recordUnit)})) key`].join(', ')} FROM ${t.table} WHERE ${where(w)} ${group}`);
  const amounts = (column: string, w?: string) =>
    run(`SELECT ${[...t.dims.map((_, i) => `k${i}`), 'count() n', "'0' key", 'toFloat64(max(s)) top', 'toFloat64(sum(s)) total'].join(', ')}
         FROM (SELECT ${[...dimCols, `sum(${column}) s`].join(', ')} FROM ${t.table} WHERE ${where(w)} GROUP BY ${[...t.dims.map((_, i) => `k${i}`), t.rule.person].join(', ')}) ${group}`);

  const table = ptableFor(t.rule);
  const publish = (c: { n: number; key: string } | undefined) => (c ? perturbCount(table, c.n, splitKey(c.key).count) : 0);
  const persons = await distinct(t.rule.person);
  const out = new Map<string, Record<string, number>>();
  for (const [k, c] of persons) if (publish(c) > 0) out.set(k, {});
  for (const [name, m] of Object.entries(measures)) {
    if (m.kind === 'persons' || m.kind === 'distinct' || m.kind === 'records') {
      const cells = m.kind === 'records' ? await records(m.where) : await distinct(m.kind === 'persons' ? t.rule.person : m.column, m.where);
      for (const [k, row] of out) row[name] = publish(cells.get(k));
    } else {
      const [sums, keys, subset] = await Promise.all([amounts(m.column, m.where), records(m.where), m.where ? distinct(t.rule.person, m.where) : undefined]);
      for (const [k, row] of out) {
        const s = sums.get(k);
        if (!s || (subset && publish(subset.get(k)) === 0)) {
          row[name] = 0;
          continue;
        }
        const noise = t.rule.amountNoise * amountFactor(splitKey(keys.get(k)!.key).amount) * s.top!;
        row[name] = Math.round((s.total! + noise) * 100) / 100;
      }
    }
  }
  return out;
}
