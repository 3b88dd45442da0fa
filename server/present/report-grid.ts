/**
 * A report laid out as rows, in blocks every writer shares: the caption, the
 * indicators, each table (one block per comparison) with where its chart
 * goes, the definitions. The XLSX writer puts the blocks on sheets of their
 * own (named by `sheet-names.ts`); the Excel add-in stacks them on one sheet.
 * Pure: no I/O, no Node modules.
 */
import { captionLines } from './caption.ts';
import { labelText, type Lang } from './crosstab.ts';
import { gridRow, layoutResult, paintable, SUPPRESSED_MARK, type GridRow } from './grid.ts';
import { numberFormat } from './number-formats.ts';
import { sheetNames } from './sheet-names.ts';
import type { Format } from '../plan/result.ts';
import type { ReportResult, ReportTableResult } from '../reports/run.ts';

export interface ChartSpec {
  type: 'bar' | 'pie' | 'line';
  /** Rows (0-based, inclusive) and columns of the data the chart plots, within the block. */
  top: number;
  bottom: number;
  left: number;
  right: number;
  title: string;
}

export interface RowBlock {
  rows: GridRow[];
  width: number;
  /** Charts, with rows counted from the block's first row. */
  charts: ChartSpec[];
}

const WORDS = {
  it: { kpis: 'Indicatori', indicator: 'Indicatore', value: 'Valore', definitions: 'Definizioni', definition: 'Definizione' },
  en: { kpis: 'Indicators', indicator: 'Indicator', value: 'Value', definitions: 'Definitions', definition: 'Definition' },
} as const;

/** The widest table of the report, at least 4 columns. */
function widthOf(r: ReportResult, lang: Lang): number {
  return Math.max(4, ...r.tables.flatMap((t) => t.series.map((s) => layoutResult(s.result, lang).width)));
}

/** Title and caption lines (territory, filters, data date, demo notice), then a blank row. */
export function reportHead(r: ReportResult, title: string, width: number, lang: Lang): GridRow[] {
  return [gridRow(width, [title], 'title'), ...captionLines(r, lang).map((l) => gridRow(width, [l], 'caption')), gridRow(width, [], 'blank')];
}

/** The indicators: a header row, then one row per indicator with its number format. */
export function kpiBlock(r: ReportResult, width: number, lang: Lang): GridRow[] {
  if (!r.kpis.length) return [];
  const w = WORDS[lang];
  return [
    gridRow(width, [w.indicator, w.value], 'header'),
    ...r.kpis.map((k) =>
      k.suppressed
        ? gridRow(width, [labelText(k.label, lang), SUPPRESSED_MARK], 'body', { suppressed: [1] })
        : gridRow(width, [labelText(k.label, lang), k.value], 'body', { numFmt: numberFormat(k.format as Format, [k.value]) }),
    ),
  ];
}

/** One table: per comparison its label (when there are several), header rows, body, footnote; a chart of the first measure of the detail rows. */
export function tableBlock(t: ReportTableResult, width: number, lang: Lang): RowBlock {
  const rows: GridRow[] = [];
  const charts: ChartSpec[] = [];
  for (const s of t.series) {
    if (rows.length) rows.push(gridRow(width, [], 'blank'));
    if (t.series.length > 1) rows.push(gridRow(width, [s.label], 'group'));
    const layout = layoutResult(s.result, lang);
    const header = layout.head.slice(layout.headerStart);
    const headerRow = rows.length + header.length - 1;
    const body = [...layout.body()];
    rows.push(...header.map((h) => widen(h, width)), ...body.map((b) => widen(b, width)), ...layout.foot.map((f) => widen(f, width)));
    // Chart: labels and the first measure of the detail rows (totals are left out).
    let detail = 0;
    while (detail < body.length && body[detail].role === 'body') detail++;
    if (t.chart !== 'none' && detail > 1 && layout.leadColumns > 0)
      charts.push({ type: t.chart as ChartSpec['type'], top: headerRow, bottom: headerRow + detail, left: layout.leadColumns - 1, right: layout.leadColumns, title: `${labelText(t.title, lang)}${t.series.length > 1 ? ` - ${s.label}` : ''}` });
  }
  return { rows, width, charts };
}

/** What every measure of the report means. */
export function definitionsBlock(r: ReportResult, lang: Lang): GridRow[] {
  const w = WORDS[lang];
  const rows = [gridRow(2, [w.indicator, w.definition], 'header')];
  const seen = new Set<string>();
  for (const col of r.tables.flatMap((t) => t.series.flatMap((s) => s.result.columns))) {
    if (col.kind !== 'measure' || seen.has(col.name)) continue;
    seen.add(col.name);
    rows.push(gridRow(2, [labelText(col.label, lang), col.definition ?? '']));
  }
  for (const k of r.kpis) if (!seen.has(k.measure)) seen.add(k.measure), rows.push(gridRow(2, [labelText(k.label, lang), k.definition ?? '']));
  return rows;
}

export interface ReportSheet {
  name: string;
  rows: GridRow[];
  width: number;
  kind: 'kpis' | 'table' | 'definitions';
}

/** The report as sheets: indicators (when it has any), one sheet per table, definitions; names valid, readable and distinct. */
export function reportSheets(r: ReportResult, lang: Lang = 'it'): ReportSheet[] {
  const w = WORDS[lang];
  const width = widthOf(r, lang);
  const sheets: Omit<ReportSheet, 'name'>[] = [];
  const titles: string[] = [];
  if (r.kpis.length) {
    titles.push(w.kpis);
    sheets.push({ kind: 'kpis', width, rows: [...reportHead(r, labelText(r.label, lang), width, lang), ...kpiBlock(r, width, lang)] });
  }
  r.tables.forEach((t, i) => {
    titles.push(`${i + 1} ${labelText(t.title, lang)}`);
    sheets.push({ kind: 'table', width, rows: [...reportHead(r, labelText(t.title, lang), width, lang), ...tableBlock(t, width, lang).rows] });
  });
  titles.push(w.definitions);
  sheets.push({ kind: 'definitions', width: 2, rows: definitionsBlock(r, lang) });
  const names = sheetNames(titles);
  return sheets.map((s, i) => ({ ...s, name: names[i] }));
}

/** The report on one sheet, for the Excel add-in: caption, indicators, then each table under its title, and where each chart goes. */
export function reportGrid(r: ReportResult, lang: Lang) {
  const width = widthOf(r, lang);
  const rows: GridRow[] = [...reportHead(r, labelText(r.label, lang), width, lang), ...kpiBlock(r, width, lang)];
  const charts: ChartSpec[] = [];
  for (const t of r.tables) {
    rows.push(gridRow(width, [], 'blank'), gridRow(width, [labelText(t.title, lang)], 'heading'));
    const block = tableBlock(t, width, lang);
    charts.push(...block.charts.map((c) => ({ ...c, top: c.top + rows.length, bottom: c.bottom + rows.length })));
    rows.push(...block.rows);
  }
  return { grid: paintable(rows, width), charts };
}

function widen(row: GridRow, width: number): GridRow {
  return row.values.length >= width ? row : gridRow(width, row.values, row.role, { formats: row.formats, suppressed: row.suppressed });
}
