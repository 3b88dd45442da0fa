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
 * in HTTP headers: see `csvMetadataHeaders`.
 */
import { stringify } from 'csv-stringify/sync';
import { SUPPRESSED_MARK } from '../present/grid.ts';
import type { Cell, PerturbationInfo, QueryResult } from '../plan/result.ts';
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

export function toCsv(result: QueryResult, opts: CsvOptions = {}): string {
  const x = toCrosstab(result, { lang: opts.lang ?? 'it' });
  const mark = opts.suppressed ?? SUPPRESSED_MARK;
  const body = x.rows.map((r) => [
    ...r.keys.flatMap((k, i) => [k === null ? '' : String(k), r.labels[i]]),
    ...r.cells.map((v, i) => (r.suppressed[i] ? mark : v === null ? '' : String(v))),
  ]);
  return stringify([headerOf(x), ...body], { delimiter: opts.separator ?? ',', record_delimiter: 'windows' });
}

/**
 * HTTP headers that describe a CSV answer, since the file itself carries no
 * metadata: file name, data date, demo flag, truncation, filters (each
 * percent-encoded, comma-separated), disclosure control.
 */
export function csvMetadataHeaders(result: QueryResult, opts: Pick<CsvOptions, 'lang'> = {}): Record<string, string> {
  const name = `${result.cube}.csv`;
  const ascii = name.replace(/[^A-Za-z0-9._-]/g, '_');
  const headers: Record<string, string> = {
    'Content-Type': 'text/csv; charset=utf-8; header=present',
    'Content-Disposition': `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`,
    'Content-Language': opts.lang ?? 'it',
    'X-Cube': result.cube,
    'X-Demo-Data': String(result.demo),
    'X-Truncated': String(result.truncated),
  };
  if (result.dataDate) headers['X-Data-Date'] = result.dataDate;
  if (result.dataVersion) headers['X-Data-Version'] = result.dataVersion;
  if (result.filters.length) headers['X-Filters'] = result.filters.map(encodeURIComponent).join(', ');
  if (result.perturbation) headers['X-Perturbation'] = perturbationHeader(result.perturbation);
  if (result.suppression) {
    const s = result.suppression;
    headers['X-Suppression'] = `threshold=${s.threshold}; primary=${s.primary}; secondary=${s.secondary}`;
  }
  return headers;
}

/** The `X-Perturbation` header of a protected answer: its figures carry the cell key method's noise. */
export function perturbationHeader(p: PerturbationInfo): string {
  return `method=cell-key; threshold=${p.threshold}; max-noise=${p.maxNoise}; variance=${p.variance}; amount-noise=${p.amountNoise}`;
}

function headerOf(x: Crosstab): string[] {
  const token = (c: CrosstabColumn, k: Cell, i: number) =>
    k !== null ? String(k) : c.rollup.includes(x.columnDimensions[i].name) ? TOTAL.it : NOT_STATED_TOKEN;
  return [
    ...x.rowDimensions.flatMap((d) => [d.name, `${d.name}_label`]),
    ...x.columns.map((c) => [c.measure.name, ...c.keys.map((k, i) => token(c, k, i))].join('_')),
  ];
}
