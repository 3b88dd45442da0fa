/** Output format from `?format=` or the Accept header. */
import { AppError } from '../errors.ts';

export const FORMATS = ['json', 'csv', 'xlsx'] as const;
export type OutputFormat = (typeof FORMATS)[number];

export const MEDIA_TYPES: Record<OutputFormat, string> = {
  json: 'application/json',
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

export function chooseFormat(queryFormat: string | undefined, accept: string | undefined): OutputFormat {
  if (queryFormat) {
    if ((FORMATS as readonly string[]).includes(queryFormat)) return queryFormat as OutputFormat;
    throw new AppError('NOT_ACCEPTABLE', `Formato "${queryFormat}" non disponibile: usare ${FORMATS.join(', ')}.`);
  }
  if (!accept || accept.includes('*/*') || accept.includes('application/json') || accept.includes('application/*')) return 'json';
  if (accept.includes('text/csv')) return 'csv';
  if (accept.includes('spreadsheetml')) return 'xlsx';
  throw new AppError('NOT_ACCEPTABLE', `Nessuno dei tipi richiesti (${accept}) è disponibile: usare ${Object.values(MEDIA_TYPES).join(', ')}.`);
}
