/**
 * Lays a long result out as a crosstab: row dimensions down, the combinations
 * of column-dimension members across, times the measures. CSV, XLSX and the
 * Excel add-in draw from it. Pure: no I/O, no formatting of numbers.
 *
 * Order: down the rows, members in order of first appearance in `result.rows`
 * (so the engine's ordering, and the user's `order`, is kept); across the
 * columns, members in the order the model declares them (Maschio before
 * Femmina whatever the data), else in order of first appearance. On both axes
 * grouped by the earlier dimensions, and a rolled-up member ("Totale") after
 * the members it adds up. Subtotal rows thus sit right below their group, the
 * grand total last.
 *
 * A dimension cell that is null without being rolled up (a member with no key
 * in the data) is a member of its own, labelled "Non indicato", never a total.
 */
import type { Cell, Label, QueryResult, ResultColumn, ResultRow } from '../plan/result.ts';

export type Lang = 'it' | 'en';

export interface CrosstabOptions {
  lang?: Lang;
}

export interface CrosstabColumn {
  /** Keys of the column dimensions (null = total over that dimension, or a member without key: see `rollup`). */
  keys: Cell[];
  labels: string[];
  /** Column dimensions rolled up in this column (names). */
  rollup: string[];
  measure: ResultColumn;
}

export interface CrosstabRow {
  /** Keys of the row dimensions (null = rolled up, or a member without key: see `rollup`). */
  keys: Cell[];
  labels: string[];
  /** Row dimensions rolled up in this row (subtotal / total rows); empty on detail rows. */
  rollup: string[];
  /** One per crosstab column; null when undefined, absent or suppressed. */
  cells: (number | null)[];
  /** Per cell: suppressed by disclosure control. */
  suppressed: boolean[];
}

export interface Crosstab {
  rowDimensions: ResultColumn[];
  columnDimensions: ResultColumn[];
  measures: ResultColumn[];
  /** Column-member combinations (outer) times measures (inner). Without column dimensions: one per measure, keys []. */
  columns: CrosstabColumn[];
  rows: CrosstabRow[];
}

export const TOTAL: Record<Lang, string> = { it: 'Totale', en: 'Total' };
export const NOT_STATED: Record<Lang, string> = { it: 'Non indicato', en: 'Not stated' };

export function labelText(label: Label | undefined, lang: Lang): string {
  return label ? (lang === 'en' && label.en ? label.en : label.it) : '';
}

/** A position on one axis: the keys of its dimensions and which of them are rolled up. */
interface AxisEntry {
  keys: Cell[];
  rolled: boolean[];
}

export function toCrosstab(result: QueryResult, opts: CrosstabOptions | Lang = {}): Crosstab {
  const lang: Lang = (typeof opts === 'string' ? opts : opts.lang) ?? 'it';
  const dims = result.columns.filter((c) => c.kind === 'dimension');
  const rowDimensions = dims.filter((c) => c.axis !== 'columns');
  const columnDimensions = dims.filter((c) => c.axis === 'columns');
  const measures = result.columns.filter((c) => c.kind === 'measure');

  const memberLabel = (dim: ResultColumn, key: Cell, rolled: boolean): string => {
    if (rolled) return TOTAL[lang];
    if (key === null) return NOT_STATED[lang];
    return labelText(result.labels[dim.name]?.[String(key)], lang) || String(key);
  };
  const entryOf = (r: ResultRow, axis: ResultColumn[]): AxisEntry => {
    const rollup = r.rollup ?? [];
    const keys = axis.map((d) => cellOf(r, d.name));
    return { keys, rolled: axis.map((d, i) => keys[i] === null && rollup.includes(d.name)) };
  };

  // Distinct positions on each axis, in order of first appearance.
  const rowEntries = new Map<string, AxisEntry>();
  const colEntries = new Map<string, AxisEntry>();
  for (const r of result.rows) {
    const re = entryOf(r, rowDimensions);
    const ce = entryOf(r, columnDimensions);
    if (!rowEntries.has(entryId(re))) rowEntries.set(entryId(re), re);
    if (!colEntries.has(entryId(ce))) colEntries.set(entryId(ce), ce);
  }
  const rowOrder = hierarchical([...rowEntries.values()]);
  const colOrder = hierarchical([...colEntries.values()], columnDimensions.map((d) => d.members));
  if (colOrder.length === 0) colOrder.push({ keys: [], rolled: [] });

  const columns: CrosstabColumn[] = [];
  for (const e of colOrder)
    for (const measure of measures)
      columns.push({
        keys: e.keys,
        labels: e.keys.map((k, i) => memberLabel(columnDimensions[i], k, e.rolled[i])),
        rollup: columnDimensions.filter((_, i) => e.rolled[i]).map((d) => d.name),
        measure,
      });
  const colIndex = new Map(colOrder.map((e, i) => [entryId(e), i]));

  const rows: CrosstabRow[] = rowOrder.map((e) => ({
    keys: e.keys,
    labels: e.keys.map((k, i) => memberLabel(rowDimensions[i], k, e.rolled[i])),
    rollup: rowDimensions.filter((_, i) => e.rolled[i]).map((d) => d.name),
    cells: columns.map(() => null),
    suppressed: columns.map(() => false),
  }));
  const rowIndex = new Map(rowOrder.map((e, i) => [entryId(e), rows[i]]));

  for (const r of result.rows) {
    const row = rowIndex.get(entryId(entryOf(r, rowDimensions)))!;
    const combo = colIndex.get(entryId(entryOf(r, columnDimensions))) ?? 0;
    measures.forEach((m, j) => {
      const at = combo * measures.length + j;
      const v = r[m.name];
      row.cells[at] = typeof v === 'number' && Number.isFinite(v) ? v : null;
      row.suppressed[at] = Boolean(r.suppressed);
    });
  }
  return { rowDimensions, columnDimensions, measures, columns, rows };
}

function cellOf(r: ResultRow, name: string): Cell {
  const v = r[name];
  return typeof v === 'string' || typeof v === 'number' ? v : null;
}

function entryId(e: AxisEntry, upTo = e.keys.length): string {
  return JSON.stringify(e.keys.slice(0, upTo).map((k, i) => (e.rolled[i] ? ['*'] : k)));
}

/**
 * Sorts axis positions (given in order of first appearance) level by level:
 * within the same leading members, a member comes at its place in the
 * declared order of its dimension when there is one, else where it first
 * appeared; a rolled-up member after all the others.
 */
function hierarchical(entries: AxisEntry[], declared: readonly (readonly (string | number)[] | undefined)[] = []): AxisEntry[] {
  const firstSeen = new Map<string, number>();
  entries.forEach((e, n) => {
    for (let i = 1; i <= e.keys.length; i++) {
      const id = entryId(e, i);
      if (!firstSeen.has(id)) firstSeen.set(id, n);
    }
  });
  const declaredAt = declared.map((keys) => (keys ? new Map(keys.map((k, i) => [String(k), i])) : undefined));
  // Declared members first, in their order; then the others (e.g. a member without key) as they appeared.
  const rank = (e: AxisEntry) =>
    e.keys.map((k, i) => {
      if (e.rolled[i]) return Number.POSITIVE_INFINITY;
      const at = k === null ? undefined : declaredAt[i]?.get(String(k));
      return at !== undefined ? at - entries.length : firstSeen.get(entryId(e, i + 1))!;
    });
  const ranked = entries.map((e) => ({ e, rank: rank(e) }));
  ranked.sort((a, b) => {
    for (let i = 0; i < a.rank.length; i++) if (a.rank[i] !== b.rank[i]) return a.rank[i] < b.rank[i] ? -1 : 1;
    return 0;
  });
  return ranked.map((x) => x.e);
}
