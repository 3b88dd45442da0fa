/**
 * CSV for machines (R, pandas, Excel "Da Web"): RFC 4180, one header row,
 * codes and labels of the row dimensions, one column per measure and column
 * combination, '.' decimals, empty cells for missing values. Suppressed cells
 * are written as the marker (default "n.d.") so that they are never read as 0.
 */
import { stringify } from 'csv-stringify/sync';
import type { QueryResult } from '../../query/result.ts';
import { TOTAL, toCrosstab, type Lang } from '../../query/crosstab.ts';
import { SUPPRESSED_MARK } from '../../query/grid.ts';


export interface CsvOptions {
  lang?: Lang;
  separator?: ',' | ';';
}

export function csvHeader(result: QueryResult, lang: Lang = 'it'): string[] {
  const x = toCrosstab(result, lang);
  return [
    ...x.rowDimensions.flatMap((d) => [d.name, `${d.name}_label`]),
    ...x.columns.map((c) => [c.measure.name, ...c.keys.map((k) => (k === null ? TOTAL.it : String(k)))].join('_')),
  ];
}

export function toCsv(result: QueryResult, opts: CsvOptions = {}): string {
  const lang = opts.lang ?? 'it';
  const x = toCrosstab(result, lang);
  const body = x.rows.map((r) => [
    ...r.keys.flatMap((k, i) => [k === null ? '' : String(k), r.labels[i]]),
    ...r.cells.map((v, i) => (r.suppressed[i] ? SUPPRESSED_MARK : v === null ? '' : String(v))),
  ]);
  return stringify([csvHeader(result, lang), ...body], { delimiter: opts.separator ?? ',', record_delimiter: 'windows' });
}
