/** The PON sheet as the ATS files it: the rows of `present/pon-grid.ts` with the official look (filled headers, wide label column). */
import type { Readable } from 'node:stream';
import { PON_SHEET_NAME, ponRows, type PonSheet } from '../present/pon-grid.ts';
import { workbookStream } from './workbook.ts';

export function ponXlsxStream(s: PonSheet): Readable {
  return workbookStream([{ name: PON_SHEET_NAME, rows: ponRows(s), widths: [95, 16, 16, 16], fillHeaders: true }]);
}
