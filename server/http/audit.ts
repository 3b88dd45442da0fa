/**
 * The one audit writer: one structured line per data request, saying who
 * asked (principal, profile, scope), for what (cube or report, filters) and
 * how much came back (rows, cells, cells hidden by disclosure control).
 */
import type { FastifyRequest } from 'fastify';
import type { QueryResult } from '../plan/result.ts';
import type { QuerySpec } from '../plan/spec.ts';
import { principalOf } from './auth.ts';

export interface AuditEntry {
  cube?: string;
  report?: string;
  spec?: QuerySpec;
  /** The PON sheet's ATS, a report's territory. */
  ats?: string;
  territorio?: string | null;
  filters: unknown;
  rows?: number;
  cells: number;
  suppressed: number;
}

export function audit(request: FastifyRequest, entry: AuditEntry): void {
  const p = principalOf(request);
  request.log.info({ audit: { who: p.id, profile: p.profile, scope: p.scope ?? null, ...entry } }, 'audit');
}

/** Cells and hidden cells of a query answer. */
export function countCells(result: QueryResult): { rows: number; cells: number; suppressed: number } {
  const measures = result.columns.filter((c) => c.kind === 'measure').length;
  return {
    rows: result.rows.length,
    cells: result.rows.length * measures,
    suppressed: result.suppression ? (result.suppression.primary + result.suppression.secondary + (result.suppression.territory?.cells ?? 0)) * measures : 0,
  };
}

export function auditQuery(request: FastifyRequest, what: { cube: string; spec: QuerySpec }, result: QueryResult): void {
  audit(request, { ...what, filters: what.spec.filters, ...countCells(result) });
}
