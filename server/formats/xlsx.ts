/**
 * XLSX for people: the shared sheet layout of `present/grid.ts` (caption with
 * cube, filters, data date and demo notice; one header row per column
 * dimension and one of measure labels; code and label of each row dimension;
 * crosstab body with a number format per measure; bold totals; suppressed
 * cells marked; footnote) painted with exceljs on the sheet "Dati", headers
 * and row headers frozen, columns sized to their contents; and a sheet
 * "Definizioni" with what every measure and dimension means.
 */
import ExcelJS from 'exceljs';
import { labelText, toCrosstab, type Lang } from '../present/crosstab.ts';
import { toGrid, type Grid, type GridValue } from '../present/grid.ts';
import type { Format, QueryResult, ResultColumn } from '../plan/result.ts';

export interface XlsxOptions {
  lang?: Lang;
}

export const SHEET_NAMES: Record<Lang, { data: string; definitions: string }> = {
  it: { data: 'Dati', definitions: 'Definizioni' },
  en: { data: 'Data', definitions: 'Definitions' },
};

const FORMAT_WORDS: Record<Lang, Record<Format, string>> = {
  it: { euro: 'euro', integer: 'numero intero', decimal: 'numero decimale', percent: 'percentuale', text: '' },
  en: { euro: 'euro', integer: 'integer', decimal: 'decimal number', percent: 'percentage', text: '' },
};

const GREY = 'FF888888';

export async function toXlsx(result: QueryResult, opts: XlsxOptions = {}): Promise<Buffer> {
  const lang = opts.lang ?? 'it';
  const grid = toGrid(result, lang);
  const wb = new ExcelJS.Workbook();
  wb.creator = 'PAS cubi';
  wb.title = labelText(result.cubeLabel, lang);
  wb.created = new Date();
  paintData(wb.addWorksheet(SHEET_NAMES[lang].data), result, grid, lang);
  paintDefinitions(wb.addWorksheet(SHEET_NAMES[lang].definitions), result.columns, lang);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

function paintData(ws: ExcelJS.Worksheet, result: QueryResult, grid: Grid, lang: Lang): void {
  const columnDims = result.columns.filter((c) => c.kind === 'dimension' && c.axis === 'columns').length;
  const headerStart = grid.headerEnd - columnDims;
  const bodyEnd = grid.headerEnd + toCrosstab(result, { lang }).rows.length;
  const suppressed = new Set(grid.suppressed.map(([r, c]) => `${r}:${c}`));

  grid.values.forEach((values, r) => {
    // Empty codes (total rows) are empty cells, not empty strings.
    const row = ws.addRow(values.map((v) => (v === null || v === '' ? undefined : v)));
    if (grid.bold[r]) row.font = { bold: true, ...(r === 0 ? { size: 13 } : {}) };
    else if (r > 0 && r < headerStart && values[0] !== null) row.font = { italic: true };
    else if (r > bodyEnd) row.font = { italic: true, color: { argb: GREY } };
    if (r >= headerStart && r <= grid.headerEnd) row.alignment = { wrapText: true, vertical: 'top' };
    values.forEach((_, c) => {
      const cell = row.getCell(c + 1);
      if (suppressed.has(`${r}:${c}`)) {
        cell.alignment = { horizontal: 'right' };
        cell.font = { ...(row.font ?? {}), color: { argb: GREY } };
      } else if (grid.formats[r][c] !== 'General') cell.numFmt = grid.formats[r][c];
    });
  });

  ws.views = [{ state: 'frozen', xSplit: grid.leadColumns, ySplit: grid.headerEnd + 1 }];
  Object.assign(ws.pageSetup, { orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0 });
  ws.pageSetup.printTitlesRow = `${headerStart + 1}:${grid.headerEnd + 1}`;
  for (let c = 0; c < grid.width; c++) {
    const header = Math.max(0, ...grid.values.slice(headerStart, grid.headerEnd + 1).map((v) => textWidth(v[c], 'General')));
    const body = Math.max(0, ...grid.values.slice(grid.headerEnd + 1, bodyEnd + 1).map((v, i) => textWidth(v[c], grid.formats[grid.headerEnd + 1 + i][c])));
    // Long headers wrap (the header rows wrap text); the figures never do.
    ws.getColumn(c + 1).width = Math.min(50, Math.max(8, body, Math.min(header, 22)) + 2);
  }
}

function paintDefinitions(ws: ExcelJS.Worksheet, columns: ResultColumn[], lang: Lang): void {
  const en = lang === 'en';
  ws.addRow(en ? ['Name', 'Label', 'Kind', 'Format', 'Definition'] : ['Nome', 'Etichetta', 'Tipo', 'Formato', 'Definizione']).font = { bold: true };
  const kind = (c: ResultColumn) => (c.kind === 'measure' ? (en ? 'measure' : 'misura') : en ? 'dimension' : 'dimensione');
  for (const c of [...columns.filter((x) => x.kind === 'measure'), ...columns.filter((x) => x.kind === 'dimension')]) {
    const row = ws.addRow([c.name, labelText(c.label, lang), kind(c), c.kind === 'measure' ? FORMAT_WORDS[lang][c.format] : undefined, c.definition]);
    row.getCell(5).alignment = { wrapText: true, vertical: 'top' };
  }
  ws.views = [{ state: 'frozen', xSplit: 0, ySplit: 1 }];
  [28, 40, 12, 16, 90].forEach((w, i) => (ws.getColumn(i + 1).width = w));
}

/** Approximate display width of a value under an Excel number format. */
function textWidth(v: GridValue, numFmt: string): number {
  if (v === null) return 0;
  if (typeof v === 'string') return Math.max(...v.split('\n').map((l) => l.length));
  const decimals = /0\.(0+)/.exec(numFmt)?.[1].length ?? 0;
  const shown = numFmt.includes('%') ? v * 100 : v;
  const digits = Math.abs(shown).toFixed(decimals).length + (shown < 0 ? 1 : 0);
  const groups = numFmt.includes('#,##0') ? Math.floor((Math.abs(Math.trunc(shown)).toString().length - 1) / 3) : 0;
  return digits + groups + (numFmt.includes('€') ? 2 : 0) + (numFmt.includes('%') ? 1 : 0);
}
