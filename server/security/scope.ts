/**
 * The scope rewrite: plan in, plan out. Every aggregate plan of every query
 * (the main one and each cross-cube denominator) passes through `secureQuery`
 * before it is compiled; this is the single place where a principal's scope
 * becomes mandatory predicates.
 */
import type { QueryPlan } from '../query/planner.ts';
import type { Cube } from '../model/types.ts';
import type { AggregatePlan, PredicateNode } from '../query/plan.ts';
import type { Principal } from './principal.ts';

export function secureQuery(plan: QueryPlan, principal: Principal): QueryPlan {
  return {
    ...plan,
    main: secureAggregate(plan.main, principal),
    crossRatios: plan.crossRatios.map((r) => ({ ...r, plan: secureAggregate(r.plan, principal) })),
  };
}

export function secureAggregate(plan: AggregatePlan, principal: Principal): AggregatePlan {
  switch (principal.profile) {
    case 'nazionale':
      return plan;
    default:
      // Territorial and provider scopes arrive with profile security (issue 4); until then refuse rather than leak.
      throw new Error(`profile ${principal.profile} is not supported yet`);
  }
}

/**
 * The restriction on a member table (e.g. territorio) for a member list: only
 * members the principal may see. `undefined` means no restriction.
 */
export function memberScope(_cube: Cube, _table: string, principal: Principal): PredicateNode | undefined {
  switch (principal.profile) {
    case 'nazionale':
      return undefined;
    default:
      throw new Error(`profile ${principal.profile} is not supported yet`);
  }
}
