/**
 * Excel number formats of the measure formats, with enough decimals for the
 * magnitudes in the data: a share of 0.004% is written 0.0040%, never 0.00%.
 * Pure: shared by the XLSX writers and the Excel add-in.
 */
import type { Format } from '../plan/result.ts';

/** The format of a measure when its values are unknown or large enough for two decimals. */
export const NUMBER_FORMATS: Record<Format, string> = {
  euro: '#,##0.00 "€"',
  integer: '#,##0',
  decimal: '#,##0.00',
  percent: '0.00%',
  text: 'General',
};

/** Most decimals a format grows to (a share of one in ten million still shows two significant digits). */
const MAX_DECIMALS = 6;

/**
 * Decimals that show at least two significant digits of the smallest non-zero
 * magnitude in `values` (as displayed: percentages times 100), at least 2.
 */
export function decimalsFor(format: Format, values: Iterable<number | null | undefined>): number {
  let smallest = Number.POSITIVE_INFINITY;
  for (const v of values) if (typeof v === 'number' && v !== 0 && Number.isFinite(v)) smallest = Math.min(smallest, Math.abs(v));
  if (smallest === Number.POSITIVE_INFINITY) return 2;
  const shown = format === 'percent' ? smallest * 100 : smallest;
  // Digits after the point before the first significant one, plus two significant digits.
  const leadingZeros = Math.max(0, Math.ceil(-Math.log10(shown)) - 1);
  return Math.min(MAX_DECIMALS, Math.max(2, leadingZeros + 2));
}

/**
 * The Excel number format for a measure column holding `values`. Amounts in
 * euro keep cents and integers stay integers; percentages and decimals grow
 * decimals for small magnitudes.
 */
export function numberFormat(format: Format, values: Iterable<number | null | undefined> = []): string {
  if (format !== 'percent' && format !== 'decimal') return NUMBER_FORMATS[format];
  const decimals = decimalsFor(format, values);
  if (decimals === 2) return NUMBER_FORMATS[format];
  const zeros = '0'.repeat(decimals);
  return format === 'percent' ? `0.${zeros}%` : `#,##0.${zeros}`;
}
