/** A report as a workbook: the sheets of `present/report-grid.ts` (indicators, one per table, definitions), streamed. */
import type { Readable } from 'node:stream';
import { labelText, type Lang } from '../present/crosstab.ts';
import { reportSheets } from '../present/report-grid.ts';
import type { ReportResult } from '../reports/run.ts';
import { fitWidths, workbookStream } from './workbook.ts';

export function reportXlsxStream(r: ReportResult, lang: Lang = 'it'): Readable {
  return workbookStream(
    reportSheets(r, lang).map((s) => {
      // Title and caption lines are long single cells: they do not size the columns.
      const sized = s.rows.filter((row) => row.role !== 'title' && row.role !== 'caption' && row.role !== 'group');
      return { name: s.name, rows: s.rows, widths: s.kind === 'definitions' ? [45, 100] : fitWidths(s.width, [], sized) };
    }),
    { title: labelText(r.label, lang) },
  );
}
