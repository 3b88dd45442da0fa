/**
 * XLSX of a query, for people: the layout of `present/grid.ts` (caption with
 * cube, filters, data date and demo notice; one header row per column
 * dimension and one of measure labels; code and label of each row dimension;
 * crosstab body with a number format per measure; bold totals; suppressed
 * cells marked; footnote) on the sheet "Dati", headers and row headers frozen,
 * columns sized to their contents; and a sheet "Definizioni" with what every
 * measure and dimension means. Streamed row by row (`workbook.ts`).
 */
import type { Readable } from 'node:stream';
import { labelText, type Lang } from '../present/crosstab.ts';
import { gridRow, layoutResult, type GridRow } from '../present/grid.ts';
import type { Format, QueryResult, ResultColumn } from '../plan/result.ts';
import { collect, fitWidths, workbookStream } from './workbook.ts';

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

export function xlsxStream(result: QueryResult, opts: XlsxOptions = {}): Readable {
  const lang = opts.lang ?? 'it';
  const layout = layoutResult(result, lang);
  const headerRows = layout.head.slice(layout.headerStart);
  const headerEnd = layout.head.length; // 1-based row of the last header row
  return workbookStream(
    [
      {
        name: SHEET_NAMES[lang].data,
        rows: (function* () { yield* layout.head; yield* layout.body(); yield* layout.foot; })(),
        widths: fitWidths(layout.width, headerRows, layout.body()),
        frozen: { rows: headerEnd, columns: layout.leadColumns },
        printTitlesRow: `${layout.headerStart + 1}:${headerEnd}`,
        landscape: true,
      },
      { name: SHEET_NAMES[lang].definitions, rows: definitionRows(result.columns, lang), widths: [28, 40, 12, 16, 90], frozen: { rows: 1, columns: 0 } },
    ],
    { title: labelText(result.cubeLabel, lang) },
  );
}

export async function toXlsx(result: QueryResult, opts: XlsxOptions = {}): Promise<Buffer> {
  return collect(xlsxStream(result, opts));
}

function definitionRows(columns: ResultColumn[], lang: Lang): GridRow[] {
  const en = lang === 'en';
  const kind = (c: ResultColumn) => (c.kind === 'measure' ? (en ? 'measure' : 'misura') : en ? 'dimension' : 'dimensione');
  return [
    gridRow(5, en ? ['Name', 'Label', 'Kind', 'Format', 'Definition'] : ['Nome', 'Etichetta', 'Tipo', 'Formato', 'Definizione'], 'header'),
    ...[...columns.filter((x) => x.kind === 'measure'), ...columns.filter((x) => x.kind === 'dimension')].map((c) =>
      gridRow(5, [c.name, labelText(c.label, lang), kind(c), c.kind === 'measure' ? FORMAT_WORDS[lang][c.format] : null, c.definition ?? null]),
    ),
  ];
}
