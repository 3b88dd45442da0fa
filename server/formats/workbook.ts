/**
 * The one XLSX writer: layout rows (server/present/) painted sheet by sheet
 * with exceljs's streaming WorkbookWriter. Each row is committed as soon as it
 * is painted, so the workbook leaves as a stream and a 100,000-row answer is
 * never held as an exceljs object model; the caller pipes it to the response.
 */
import ExcelJS from 'exceljs';
import { PassThrough, type Readable } from 'node:stream';
import type { GridRow, GridValue } from '../present/grid.ts';
import { paintRow } from './xlsx-paint.ts';

export interface SheetSpec {
  name: string;
  /** The rows, produced while they are written (an iterator over a large body is fine). */
  rows: Iterable<GridRow>;
  /** Column widths in characters. */
  widths: number[];
  /** Rows and columns kept in view when scrolling. */
  frozen?: { rows: number; columns: number };
  /** Rows repeated at the top of each printed page ("6:7"). */
  printTitlesRow?: string;
  landscape?: boolean;
  fillHeaders?: boolean;
}

/** Rows painted between two yields to the event loop, so the zip flows out while the sheet is written. */
const ROWS_PER_TURN = 500;

export function workbookStream(sheets: readonly SheetSpec[], meta: { title?: string } = {}): Readable {
  const out = new PassThrough();
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  wb.creator = 'PAS cubi';
  if (meta.title) wb.title = meta.title;
  wb.created = new Date();
  (async () => {
    for (const s of sheets) {
      const ws = wb.addWorksheet(s.name, {
        views: s.frozen ? [{ state: 'frozen', xSplit: s.frozen.columns, ySplit: s.frozen.rows }] : [],
        pageSetup: s.landscape ? { orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0, ...(s.printTitlesRow ? { printTitlesRow: s.printTitlesRow } : {}) } : {},
      });
      ws.columns = s.widths.map((width) => ({ width }));
      let n = 0;
      for (const r of s.rows) {
        paintRow(ws, r, { commit: true, fillHeaders: s.fillHeaders });
        if (++n % ROWS_PER_TURN === 0) {
          await new Promise((resolve) => setImmediate(resolve));
          if (out.destroyed) return; // the client went away: stop writing
        }
      }
      ws.commit();
    }
    await wb.commit();
  })().catch((err: Error) => out.destroy(err));
  return out;
}

/** The whole workbook in memory (tests, small files). */
export async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Approximate display width of a value under an Excel number format. */
export function textWidth(v: GridValue, numFmt: string): number {
  if (v === null) return 0;
  if (typeof v === 'string') return Math.max(...v.split('\n').map((l) => l.length));
  const decimals = /0\.(0+)/.exec(numFmt)?.[1].length ?? 0;
  const shown = numFmt.includes('%') ? v * 100 : v;
  const digits = Math.abs(shown).toFixed(decimals).length + (shown < 0 ? 1 : 0);
  const groups = numFmt.includes('#,##0') ? Math.floor((Math.abs(Math.trunc(shown)).toString().length - 1) / 3) : 0;
  return digits + groups + (numFmt.includes('€') ? 2 : 0) + (numFmt.includes('%') ? 1 : 0);
}

/**
 * Column widths from the contents: header rows count up to 22 characters
 * (long headers wrap), figures and labels in full, between 8 and 50.
 */
export function fitWidths(width: number, header: readonly GridRow[], body: Iterable<GridRow>): number[] {
  const widths = Array.from({ length: width }, (_, c) => Math.min(22, Math.max(0, ...header.map((r) => textWidth(r.values[c], 'General')))));
  for (const r of body) for (let c = 0; c < width; c++) widths[c] = Math.max(widths[c], textWidth(r.values[c], r.formats[c]));
  return widths.map((w) => Math.min(50, Math.max(8, w) + 2));
}
