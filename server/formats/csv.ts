/**
 * CSV for machines (R read.csv, pandas.read_csv, Excel "Da Web"): RFC 4180
 * (CRLF, fields quoted when needed), UTF-8 without BOM, ONE header row and
 * nothing else above the data. Layout is the crosstab's:
 *
 *   <dim>, <dim>_label            per row dimension: member code, member label
 *   <measure>                     per measure, when there are no column dimensions
 *   <measure>_<key1>_<key2>…      per column-member combination × measure, keys
 *                                 of the column dimensions in order; "Totale"
 *                                 for a rolled-up key, "NonIndicato" for a
 *                                 member without key
 *
 * Subtotal/total rows have an empty code and the label "Totale" ("Total") in
 * the rolled-up dimensions. Numbers are written as JavaScript prints them
 * (shortest exact form, '.' decimals, no thousands separator); percentages
 * as fractions 0..1. Missing values, including cells hidden by disclosure
 * control, are empty fields (NA in R, NaN in pandas). What a reader needs to
 * know about the answer (data date, filters, demo data, suppression) travels
 * in HTTP headers, the same for every format: see `answerHeaders` (headers.ts).
 */
import { stringify } from 'csv-stringify';
import { stringify as stringifySync } from 'csv-stringify/sync';
import { Readable } from 'node:stream';
import { SUPPRESSED_MARK } from '../present/grid.ts';
import type { Cell, QueryResult } from '../plan/result.ts';
import { TOTAL, toCrosstab, type Crosstab, type CrosstabColumn, type Lang } from '../present/crosstab.ts';

export interface CsvOptions {
  /** Language of the member labels (`<dim>_label`); column names do not change. */
  lang?: Lang;
  separator?: ',' | ';';
  /**
   * Text written in cells hidden by disclosure control. Default "n.d.": a visible marker, never a
   * number nor an empty cell that could pass for a missing value (read it with na.strings / na_values).
   */
  suppressed?: string;
}

/** Column-name token of a column member that has no key in the data. */
export const NOT_STATED_TOKEN = 'NonIndicato';

export function csvHeader(result: QueryResult, lang: Lang = 'it'): string[] {
  return headerOf(toCrosstab(result, { lang }));
}

/** Header record, then one record per crosstab row, produced one at a time. */
function* csvRecords(result: QueryResult, opts: CsvOptions): Generator<string[]> {
  const x = toCrosstab(result, { lang: opts.lang ?? 'it' });
  const mark = opts.suppressed ?? SUPPRESSED_MARK;
  yield headerOf(x);
  for (const r of x.rows)
    yield [
      ...r.keys.flatMap((k, i) => [k === null ? '' : String(k), r.labels[i]]),
      ...r.cells.map((v, i) => (r.suppressed[i] ? mark : v === null ? '' : String(v))),
    ];
}

const stringifyOptions = (opts: CsvOptions) => ({ delimiter: opts.separator ?? ',', record_delimiter: 'windows' as const });

/** The CSV as a stream: records are produced and written one at a time. */
export function csvStream(result: QueryResult, opts: CsvOptions = {}): Readable {
  return Readable.from(csvRecords(result, opts)).pipe(stringify(stringifyOptions(opts)));
}

export function toCsv(result: QueryResult, opts: CsvOptions = {}): string {
  return stringifySync([...csvRecords(result, opts)], stringifyOptions(opts));
}

function headerOf(x: Crosstab): string[] {
  const token = (c: CrosstabColumn, k: Cell, i: number) =>
    k !== null ? String(k) : c.rollup.includes(x.columnDimensions[i].name) ? TOTAL.it : NOT_STATED_TOKEN;
  return [
    ...x.rowDimensions.flatMap((d) => [d.name, `${d.name}_label`]),
    ...x.columns.map((c) => [c.measure.name, ...c.keys.map((k, i) => token(c, k, i))].join('_')),
  ];
}
