/**
 * HTTP headers that describe an answer in any format, since a CSV or XLSX
 * file carries no machine-readable metadata: file name, data date and
 * version, demo flag, truncation, filters (each percent-encoded,
 * comma-separated), disclosure control.
 */
import type { Lang } from '../present/crosstab.ts';
import { OUTPUT_FORMATS, type FormatName } from './table.ts';

/** Longest X-Filters header sent. */
const MAX_FILTERS_HEADER = 4000;

export interface AnswerMeta {
  /** File name without extension. */
  name: string;
  dataDate: string;
  dataVersion: string;
  demo: boolean;
  truncated?: boolean;
  filters: readonly string[];
  suppression?: { threshold: number; primary: number; secondary: number; territory?: { minUnits: number; cells: number } };
  perturbation?: { threshold: number; maxNoise: number; variance: number; amountNoise: number };
}

export function answerHeaders(meta: AnswerMeta, format: FormatName, lang: Lang = 'it'): Record<string, string> {
  const f = OUTPUT_FORMATS[format];
  const name = `${meta.name}.${f.extension}`;
  const ascii = name.replace(/[^A-Za-z0-9._-]/g, '_');
  const headers: Record<string, string> = {
    'Content-Type': f.mediaType,
    ...(f.attachment ? { 'Content-Disposition': `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}` } : {}),
    'Content-Language': lang,
    'X-Demo-Data': String(meta.demo),
    'X-Truncated': String(meta.truncated ?? false),
  };
  if (meta.dataDate) headers['X-Data-Date'] = meta.dataDate;
  if (meta.dataVersion) headers['X-Data-Version'] = meta.dataVersion;
  // Long filter lists (hundreds of comuni) stay in the file's caption and the JSON: proxies refuse huge headers.
  const filters = meta.filters.map(encodeURIComponent).join(', ');
  if (filters && filters.length <= MAX_FILTERS_HEADER) headers['X-Filters'] = filters;
  if (meta.perturbation) {
    const p = meta.perturbation;
    headers['X-Perturbation'] = `method=cell-key; threshold=${p.threshold}; max-noise=${p.maxNoise}; variance=${p.variance}; amount-noise=${p.amountNoise}`;
  }
  if (meta.suppression) {
    const s = meta.suppression;
    headers['X-Suppression'] = `threshold=${s.threshold}; primary=${s.primary}; secondary=${s.secondary}${s.territory ? `; territory=${s.territory.cells}; min_units=${s.territory.minUnits}` : ''}`;
  }
  return headers;
}
