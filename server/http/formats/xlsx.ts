/**
 * XLSX for people: the shared sheet layout (caption, headers, crosstab with a
 * number format per measure, bold totals, suppressed cells marked, footnote)
 * painted with exceljs, frozen headers, and a "Definizioni" sheet.
 */
import ExcelJS from 'exceljs';
import { labelText, type Lang } from '../../query/crosstab.ts';
import { toGrid } from '../../query/grid.ts';
import type { QueryResult } from '../../query/result.ts';

export interface XlsxOptions {
  lang?: Lang;
}

export async function toXlsx(result: QueryResult, opts: XlsxOptions = {}): Promise<Buffer> {
  const lang = opts.lang ?? 'it';
  const grid = toGrid(result, lang);
  const wb = new ExcelJS.Workbook();
  wb.creator = 'PAS cubi';
  const ws = wb.addWorksheet(lang === 'en' ? 'Data' : 'Dati');
  const suppressed = new Set(grid.suppressed.map(([r, c]) => `${r}:${c}`));
  grid.values.forEach((values, r) => {
    const row = ws.addRow(values.map((v) => (v === null ? undefined : v)));
    if (grid.bold[r]) row.font = { bold: true, ...(r === 0 ? { size: 13 } : {}) };
    else if (r > 0 && r < grid.headerEnd && values[0] !== null) row.font = { italic: true };
    if (r === grid.headerEnd) row.alignment = { wrapText: true, vertical: 'top' };
    values.forEach((_, c) => {
      const cell = row.getCell(c + 1);
      if (suppressed.has(`${r}:${c}`)) {
        cell.alignment = { horizontal: 'right' };
        cell.font = { ...(row.font ?? {}), color: { argb: 'FF888888' } };
      } else if (grid.formats[r][c] !== 'General') cell.numFmt = grid.formats[r][c];
    });
  });
  ws.views = [{ state: 'frozen', xSplit: grid.leadColumns, ySplit: grid.headerEnd + 1 }];
  for (let i = 1; i <= grid.width; i++) ws.getColumn(i).width = i <= grid.leadColumns ? (i % 2 === 1 ? 12 : 34) : 16;

  const defs = wb.addWorksheet(lang === 'en' ? 'Definitions' : 'Definizioni');
  defs.addRow(lang === 'en' ? ['Name', 'Label', 'Kind', 'Definition'] : ['Nome', 'Etichetta', 'Tipo', 'Definizione']).font = { bold: true };
  for (const c of result.columns) defs.addRow([c.name, labelText(c.label, lang), c.kind === 'measure' ? (lang === 'en' ? 'measure' : 'misura') : lang === 'en' ? 'dimension' : 'dimensione', c.definition ?? '']);
  defs.getColumn(1).width = 28;
  defs.getColumn(2).width = 40;
  defs.getColumn(3).width = 12;
  defs.getColumn(4).width = 90;
  return Buffer.from(await wb.xlsx.writeBuffer());
}
