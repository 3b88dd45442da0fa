/**
 * The sheet layout of a query result, shared by the XLSX export and the Excel
 * add-in: a caption (cube, filters, data date, demo notice), header rows, the
 * crosstab body with a number format per cell, bold totals, suppressed cells
 * marked, and a footnote. Pure data: writers only paint it.
 *
 * `layoutResult` gives the head and foot as rows and the body as an iterator,
 * so a writer can stream a large answer row by row; `toGrid` is the same
 * layout as one array (the add-in paints a range at once).
 */
import { captionLines, suppressionNote } from './caption.ts';
import { labelText, toCrosstab, type Crosstab, type Lang } from './crosstab.ts';
import { numberFormat } from './number-formats.ts';
import type { QueryResult, ResultColumn } from '../plan/result.ts';

export const SUPPRESSED_MARK = 'n.d.';

export type GridValue = string | number | null;

/** What a row is, for the painters: title, caption line, table heading, header, body, total, group label, note. */
export type RowRole = 'title' | 'caption' | 'blank' | 'heading' | 'header' | 'body' | 'total' | 'group' | 'note';

const BOLD_ROLES: ReadonlySet<RowRole> = new Set(['title', 'heading', 'header', 'total', 'group']);

export interface GridRow {
  values: GridValue[];
  /** Excel number format of every cell ('General' for text). */
  formats: string[];
  role: RowRole;
  /** Columns (0-based) of cells hidden by disclosure control. */
  suppressed: number[];
}

export const isBold = (role: RowRole): boolean => BOLD_ROLES.has(role);

/** A row of `width` cells: values padded with empty cells, numbers given `numFmt` unless formats are given. */
export function gridRow(width: number, values: GridValue[], role: RowRole = 'body', opts: { formats?: string[]; numFmt?: string; suppressed?: number[] } = {}): GridRow {
  const padded = [...values, ...Array(Math.max(0, width - values.length)).fill(null)];
  const formats = opts.formats
    ? [...opts.formats, ...Array(Math.max(0, width - opts.formats.length)).fill('General')]
    : padded.map((v) => (typeof v === 'number' && opts.numFmt ? opts.numFmt : 'General'));
  return { values: padded, formats, role, suppressed: opts.suppressed ?? [] };
}

/** Rows as the add-in paints them: values, formats and bold, as arrays. */
export function paintable(rows: readonly GridRow[], width: number): Pick<Grid, 'values' | 'formats' | 'bold' | 'width' | 'suppressed'> {
  return {
    values: rows.map((r) => r.values),
    formats: rows.map((r) => r.formats),
    bold: rows.map((r) => isBold(r.role)),
    suppressed: rows.flatMap((r, n) => r.suppressed.map((c): [number, number] => [n, c])),
    width,
  };
}

export interface ResultLayout {
  width: number;
  /** Columns of row headers (code + label per row dimension), frozen at the left. */
  leadColumns: number;
  /** Title, caption lines, a blank row, then the header rows. */
  head: GridRow[];
  /** Index in `head` of the first header row. */
  headerStart: number;
  /** The body, one row per crosstab row: a fresh iterator at every call. */
  body(): Iterable<GridRow>;
  bodyLength: number;
  /** Notes under the body (the disclosure footnote). */
  foot: GridRow[];
}

export interface Grid {
  values: GridValue[][];
  /** Excel number format of every cell ('General' for text). */
  formats: string[][];
  /** Rows in bold: the cube title, headers, totals. */
  bold: boolean[];
  /** Row index (0-based) of the first header row (below the caption). */
  headerStart: number;
  /** Row index (0-based) of the last header row; data start below it. */
  headerEnd: number;
  /** Columns of row headers (code + label per row dimension), frozen at the left. */
  leadColumns: number;
  /** Cells hidden by disclosure control, [row, column]. */
  suppressed: [number, number][];
  width: number;
}

const WORDS = { it: { code: 'Codice', name: 'Descrizione' }, en: { code: 'Code', name: 'Description' } } as const;

/**
 * Headers of a row dimension's two columns: its code and its label. A
 * dimension whose label already says "Codice …" is not called "Codice codice …".
 */
export function dimensionHeaders(dim: ResultColumn, lang: Lang): [string, string] {
  const label = labelText(dim.label, lang);
  const w = WORDS[lang];
  const rest = label.slice(w.code.length).trim();
  if (label.toLowerCase().startsWith(`${w.code.toLowerCase()} `) && rest) return [label, `${w.name} ${rest}`];
  return [`${w.code} ${label.toLowerCase()}`, label];
}

/** The number format of each crosstab column: one per measure, with the decimals its smallest value needs. */
function columnFormats(x: Crosstab): string[] {
  const byMeasure = new Map<string, string>();
  for (const m of x.measures) {
    const at = x.columns.flatMap((c, i) => (c.measure.name === m.name ? [i] : []));
    byMeasure.set(m.name, numberFormat(m.format, (function* () { for (const r of x.rows) for (const i of at) yield r.cells[i]; })()));
  }
  return x.columns.map((c) => byMeasure.get(c.measure.name)!);
}

export function layoutResult(result: QueryResult, lang: Lang = 'it'): ResultLayout {
  const x = toCrosstab(result, lang);
  const lead = x.rowDimensions.length * 2;
  const width = Math.max(1, lead + x.columns.length);
  const pad = (values: GridValue[], role: RowRole, formats?: string[], suppressed: number[] = []) => gridRow(width, values, role, { formats, suppressed });

  const head: GridRow[] = [pad([labelText(result.cubeLabel, lang)], 'title'), ...captionLines(result, lang).map((l) => pad([l], 'caption')), pad([], 'blank')];
  const headerStart = head.length;
  // The column dimension's name sits just left of its members, in the last row-header column; with no row dimensions there is no such column.
  x.columnDimensions.forEach((dim, i) => head.push(pad([...(lead > 0 ? [...Array(lead - 1).fill(null), labelText(dim.label, lang)] : []), ...x.columns.map((c) => c.labels[i])], 'header')));
  head.push(pad([...x.rowDimensions.flatMap((d) => dimensionHeaders(d, lang)), ...x.columns.map((c) => labelText(c.measure.label, lang))], 'header'));

  const formats = columnFormats(x);
  const body = function* (): Iterable<GridRow> {
    for (const r of x.rows) {
      const suppressed: number[] = [];
      const cells: GridValue[] = r.cells.map((v, i) => {
        if (!r.suppressed[i]) return v;
        suppressed.push(lead + i);
        return SUPPRESSED_MARK;
      });
      const fmt = [...Array(lead).fill('General'), ...formats.map((f, i) => (r.suppressed[i] ? 'General' : f))];
      yield pad([...r.keys.flatMap((k, i) => [k === null ? '' : k, r.labels[i]]), ...cells], r.rollup.length > 0 ? 'total' : 'body', fmt, suppressed);
    }
  };
  const anySuppressed = x.rows.some((r) => r.suppressed.some(Boolean));
  const foot = anySuppressed && result.suppression ? [pad([suppressionNote(SUPPRESSED_MARK, result.suppression.threshold, lang)], 'note')] : [];
  return { width, leadColumns: lead, head, headerStart, body, bodyLength: x.rows.length, foot };
}

/** A layout as one array of rows (head, body, foot). */
export function gridOf(layout: ResultLayout): Grid {
  const rows = [...layout.head, ...layout.body(), ...layout.foot];
  return { ...paintable(rows, layout.width), headerStart: layout.headerStart, headerEnd: layout.head.length - 1, leadColumns: layout.leadColumns };
}

export function toGrid(result: QueryResult, lang: Lang = 'it'): Grid {
  return gridOf(layoutResult(result, lang));
}

/** Detail rows only, one column per dimension label and measure: for an Excel table and the user's own PivotTables. */
export function toFlatTable(result: QueryResult, lang: Lang = 'it'): { header: string[]; rows: GridValue[][]; formats: string[]; nonAdditive: string[] } {
  const dims = result.columns.filter((c) => c.kind === 'dimension');
  const measures = result.columns.filter((c) => c.kind === 'measure');
  const header = [...dims.map((d) => labelText(d.label, lang)), ...measures.map((m) => labelText(m.label, lang))];
  const detail = result.rows.filter((r) => !r.rollup);
  const rows = detail.map((r) => [
    ...dims.map((d) => {
      const key = r[d.name] as string | number | null;
      return key === null ? null : labelText(result.labels[d.name]?.[String(key)], lang) || String(key);
    }),
    ...measures.map((m) => (r.suppressed ? SUPPRESSED_MARK : (r[m.name] as number | null))),
  ]);
  const formats = [...dims.map(() => 'General'), ...measures.map((m) => numberFormat(m.format, detail.map((r) => r[m.name] as number | null)))];
  const nonAdditive = measures.filter((m) => m.additive === false).map((m) => labelText(m.label, lang));
  return { header, rows, formats, nonAdditive };
}
