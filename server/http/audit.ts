/** One structured audit line per data request: who, what, which filters, how many cells returned and suppressed. */
import type { FastifyRequest } from 'fastify';
import type { QueryResult } from '../plan/result.ts';
import type { QuerySpec } from '../plan/spec.ts';
import { principalOf } from './auth.ts';

export function auditQuery(request: FastifyRequest, what: { cube?: string; report?: string; spec?: QuerySpec }, result: QueryResult): void {
  const p = principalOf(request);
  const measures = result.columns.filter((c) => c.kind === 'measure').length;
  request.log.info(
    {
      audit: {
        who: p.id,
        profile: p.profile,
        scope: p.scope ?? null,
        ...what,
        filters: what.spec?.filters ?? [],
        rows: result.rows.length,
        cells: result.rows.length * measures,
        suppressed: result.suppression ? (result.suppression.primary + result.suppression.secondary + (result.suppression.territory?.cells ?? 0)) * measures : 0,
      },
    },
    'audit',
  );
}
