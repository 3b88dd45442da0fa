/**
 * Paints layout rows (server/present/) on an exceljs worksheet: one style per
 * row role, number formats per cell, suppressed cells greyed and right-aligned.
 * Works on a whole workbook's sheet and on a streaming writer's sheet: with
 * `commit`, each row is written out as soon as it is painted.
 */
import type ExcelJS from 'exceljs';
import type { GridRow, RowRole } from '../present/grid.ts';

const GREY = 'FF888888';
const HEADER_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDE6F0' } };

const FONTS: Record<RowRole, Partial<ExcelJS.Font> | undefined> = {
  title: { bold: true, size: 13 },
  caption: { italic: true },
  blank: undefined,
  heading: { bold: true, size: 12 },
  header: { bold: true },
  body: undefined,
  total: { bold: true },
  group: { bold: true, italic: true },
  note: { italic: true, color: { argb: GREY } },
};

export interface PaintOptions {
  /** Write each row out once painted (streaming writer). */
  commit?: boolean;
  /** Fill header rows (the PON sheet's official look). */
  fillHeaders?: boolean;
}

export function paintRow(ws: ExcelJS.Worksheet, r: GridRow, opts: PaintOptions = {}): void {
  // Empty codes (total rows) are empty cells, not empty strings.
  const row = ws.addRow(r.values.map((v) => (v === null || v === '' ? undefined : v)));
  const font = FONTS[r.role];
  if (font) row.font = font;
  if (r.role === 'header') row.alignment = { wrapText: true, vertical: 'top' };
  const suppressed = new Set(r.suppressed);
  r.values.forEach((v, c) => {
    const cell = row.getCell(c + 1);
    if (suppressed.has(c)) {
      cell.alignment = { horizontal: 'right' };
      cell.font = { ...(font ?? {}), color: { argb: GREY } };
    } else if (r.formats[c] !== 'General') cell.numFmt = r.formats[c];
    if (opts.fillHeaders && r.role === 'header' && v !== null) cell.fill = HEADER_FILL;
  });
  if (opts.commit) row.commit();
}
