/**
 * Lays a long result out as a crosstab: row dimensions down, the combinations
 * of column-dimension members across (members in order of appearance, totals
 * after them), times the measures. CSV, XLSX and the Excel add-in draw from it.
 */
import type { Cell, Label, QueryResult, ResultColumn, ResultRow } from './result.ts';

export type Lang = 'it' | 'en';

export interface CrosstabColumn {
  /** Keys of the column dimensions (null = total over that dimension). */
  keys: Cell[];
  labels: string[];
  measure: ResultColumn;
}

export interface CrosstabRow {
  keys: Cell[];
  labels: string[];
  /** Row dimensions rolled up in this row (subtotal / total rows). */
  rollup: string[];
  cells: (number | null)[];
  /** Per cell: suppressed by disclosure control. */
  suppressed: boolean[];
}

export interface Crosstab {
  rowDimensions: ResultColumn[];
  columnDimensions: ResultColumn[];
  measures: ResultColumn[];
  columns: CrosstabColumn[];
  rows: CrosstabRow[];
}

export const TOTAL: Record<Lang, string> = { it: 'Totale', en: 'Total' };

export function labelText(label: Label | undefined, lang: Lang): string {
  return label ? (lang === 'en' && label.en ? label.en : label.it) : '';
}

export function toCrosstab(result: QueryResult, lang: Lang = 'it'): Crosstab {
  const dims = result.columns.filter((c) => c.kind === 'dimension');
  const rowDimensions = dims.filter((c) => c.axis !== 'columns');
  const columnDimensions = dims.filter((c) => c.axis === 'columns');
  const measures = result.columns.filter((c) => c.kind === 'measure');
  const memberLabel = (dim: string, key: Cell) => (key === null ? TOTAL[lang] : labelText(result.labels[dim]?.[String(key)], lang) || String(key));

  // Column combinations in order of first appearance, totals after the members of their dimension.
  const comboKeys: Cell[][] = [];
  const seenCombo = new Set<string>();
  for (const r of result.rows) {
    const keys = columnDimensions.map((d) => cellOf(r, d.name));
    const id = JSON.stringify(keys);
    if (!seenCombo.has(id)) seenCombo.add(id), comboKeys.push(keys);
  }
  const order = columnDimensions.map((d) => {
    const first = new Map<string, number>();
    for (const r of result.rows) {
      const k = JSON.stringify(cellOf(r, d.name));
      if (!first.has(k)) first.set(k, first.size);
    }
    return first;
  });
  comboKeys.sort((a, b) => {
    for (let i = 0; i < a.length; i++) {
      const [x, y] = [a[i], b[i]];
      if (x === y) continue;
      if (x === null) return 1;
      if (y === null) return -1;
      return order[i].get(JSON.stringify(x))! - order[i].get(JSON.stringify(y))!;
    }
    return 0;
  });
  const columns: CrosstabColumn[] = [];
  for (const keys of comboKeys.length ? comboKeys : [[]])
    for (const measure of measures) columns.push({ keys, labels: keys.map((k, i) => memberLabel(columnDimensions[i].name, k)), measure });
  const comboIndex = new Map(comboKeys.map((k, i) => [JSON.stringify(k), i]));

  const rows: CrosstabRow[] = [];
  const rowIndex = new Map<string, CrosstabRow>();
  for (const r of result.rows) {
    const keys = rowDimensions.map((d) => cellOf(r, d.name));
    const id = JSON.stringify(keys);
    let row = rowIndex.get(id);
    if (!row) {
      const rollup = rowDimensions.filter((d, i) => keys[i] === null && (r.rollup ?? []).includes(d.name)).map((d) => d.name);
      row = {
        keys,
        labels: keys.map((k, i) => memberLabel(rowDimensions[i].name, k)),
        rollup,
        cells: columns.map(() => null),
        suppressed: columns.map(() => false),
      };
      rowIndex.set(id, row);
      rows.push(row);
    }
    const combo = comboIndex.get(JSON.stringify(columnDimensions.map((d) => cellOf(r, d.name)))) ?? 0;
    measures.forEach((m, j) => {
      const at = combo * measures.length + j;
      const v = r[m.name];
      row!.cells[at] = typeof v === 'number' ? v : null;
      row!.suppressed[at] = Boolean(r.suppressed);
    });
  }
  return { rowDimensions, columnDimensions, measures, columns, rows };
}

function cellOf(r: ResultRow, name: string): Cell {
  const v = r[name];
  return v === undefined ? null : (v as Cell);
}
