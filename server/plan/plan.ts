/**
 * The query plan: a tree of small frozen plain objects, one `kind` each. The
 * planner builds it from a validated spec; the scope rewrite transforms it
 * (plan in, plan out); the compiler is the only thing that turns it into SQL.
 */
import type { Aggregate } from '../model/measure-kinds.ts';
import type { Band, Cube } from '../model/types.ts';
import type { QuerySpec } from './spec.ts';

export type ParamType = 'Int64' | 'Float64' | 'String';

/** How a dimension key or measure argument is computed. */
export type ExprNode =
  | { readonly kind: 'column'; readonly column: string }
  | { readonly kind: 'sql'; readonly sql: string }
  | { readonly kind: 'bands'; readonly column: string; readonly ranges: readonly Band[]; readonly missing?: string }
  /** Unresolved until the scope rewrite names the caller's territory; the compiler refuses it unresolved. */
  | { readonly kind: 'scope_relative'; readonly columns: Readonly<Record<'regione' | 'ats' | 'comune', string>>; readonly scope?: { readonly column: string; readonly code: string } | 'all' }
  /** A value, bound as a parameter of its type. */
  | { readonly kind: 'value'; readonly value: string | number; readonly type: ParamType }
  /** A call of one of the engine functions a plan may name (a fixed list, never a name from a request). */
  | { readonly kind: 'call'; readonly fn: PlanFunction; readonly args: readonly ExprNode[] };

/** The engine functions a plan may call. */
export const PLAN_FUNCTIONS = ['any', 'argMax', 'count', 'equals', 'max', 'toString', 'toFloat64'] as const;
export type PlanFunction = (typeof PLAN_FUNCTIONS)[number];

export type PredicateNode =
  | { readonly kind: 'in'; readonly expr: ExprNode; readonly values: readonly (string | number)[]; readonly type: ParamType; readonly negate: boolean }
  | { readonly kind: 'compare'; readonly expr: ExprNode; readonly op: '>=' | '<='; readonly value: string | number; readonly type: ParamType }
  /** Text search: the expression contains the text (case-insensitive) or starts with it. */
  | { readonly kind: 'match'; readonly expr: ExprNode; readonly mode: 'contains' | 'prefix'; readonly text: string }
  | { readonly kind: 'and'; readonly items: readonly PredicateNode[] }
  | { readonly kind: 'or'; readonly items: readonly PredicateNode[] }
  /** Matches nothing: what a scope rewrite yields when the caller may see no row. */
  | { readonly kind: 'false' };

export interface PlanDimension {
  readonly name: string;
  readonly axis: 'rows' | 'columns';
  readonly expr: ExprNode;
  /** Expression whose natural order is the member order (bands and inline lists in declared order). */
  readonly sortExpr: ExprNode | { readonly kind: 'member_order'; readonly expr: ExprNode; readonly keys: readonly (string | number)[]; readonly type: ParamType };
}

export interface PlanMeasure {
  readonly name: string;
  /**
   * cellKey: the sum, wrapping mod 2^64, of a keyed hash of each unit (returned as a decimal string);
   * topContribution: the largest sum of `arg` over the rows of one value of `by`;
   * groupUniqArray: the distinct values of `arg` (a hidden list, e.g. a benchmark cell's comuni).
   */
  readonly aggregate: Aggregate | 'cellKey' | 'topContribution' | 'groupUniqArray';
  readonly arg?: ExprNode;
  readonly where?: PredicateNode;
  /** cellKey: the values hashed into a unit's key with the secret (two UInt64, bound as parameters); distinct: each distinct unit once. */
  readonly key?: { readonly secret: readonly [string, string]; readonly units: readonly ExprNode[]; readonly distinct: boolean };
  /** topContribution: the contributor (a person). */
  readonly by?: ExprNode;
}

export interface PlanRatio {
  readonly name: string;
  readonly numerator: string;
  readonly denominator: string;
}

export interface PlanOrder {
  readonly by: string;
  readonly direction: 'asc' | 'desc';
}

export interface AggregatePlan {
  readonly kind: 'aggregate';
  readonly cube: string;
  readonly table: string;
  readonly dimensions: readonly PlanDimension[];
  /** Base measures computed by the engine (sums, counts, distinct counts). */
  readonly measures: readonly PlanMeasure[];
  /** Ratios of two base measures of this plan, computed by the engine at every grouping level. */
  readonly ratios: readonly PlanRatio[];
  /** ANDed together. */
  readonly where: readonly PredicateNode[];
  /** Sets of dimension names; null = plain GROUP BY over all dimensions. */
  readonly groupingSets: readonly (readonly string[])[] | null;
  readonly order: readonly PlanOrder[];
  readonly limit?: number;
  readonly offset?: number;
  /**
   * The person the figures are about, set by the disclosure rule: the compiler may then add up each
   * person's rows in a cell first and the cell's figures from those (same results, fewer and simpler
   * aggregate states than distinct sets and per-person maps in every cell).
   */
  readonly person?: ExprNode;
}

/** Rebuilds a plan with every expression node passed through `fn` (dimensions, sort keys, filters, measure conditions). */
export function mapExpressions(plan: AggregatePlan, fn: (e: ExprNode) => ExprNode): AggregatePlan {
  const pred = (p: PredicateNode): PredicateNode => {
    switch (p.kind) {
      case 'in':
      case 'compare':
      case 'match':
        return { ...p, expr: fn(p.expr) };
      case 'and':
      case 'or':
        return { ...p, items: p.items.map(pred) };
      case 'false':
        return p;
    }
  };
  return {
    ...plan,
    dimensions: plan.dimensions.map((d) => ({
      ...d,
      expr: fn(d.expr),
      sortExpr: d.sortExpr.kind === 'member_order' ? { ...d.sortExpr, expr: fn(d.sortExpr.expr) } : fn(d.sortExpr),
    })),
    measures: plan.measures.map((m) => ({
      ...m,
      arg: m.arg && fn(m.arg),
      where: m.where && pred(m.where),
      key: m.key && { ...m.key, units: m.key.units.map(fn) },
      by: m.by && fn(m.by),
    })),
    where: plan.where.map(pred),
    person: plan.person && fn(plan.person),
  };
}

/** A ratio whose denominator is a measure of another cube, joined on the dimensions both cubes share. */
export interface CrossCubeRatio {
  readonly name: string;
  readonly numerator: string;
  readonly cube: string;
  readonly measure: string;
  readonly sharedDimensions: readonly string[];
  readonly plan: AggregatePlan;
}

export interface QueryPlan {
  readonly cube: Cube;
  readonly spec: QuerySpec;
  readonly main: AggregatePlan;
  readonly crossRatios: readonly CrossCubeRatio[];
  /** Measures in the order asked for. */
  readonly outputs: readonly string[];
  /** Order and paging that must be applied after the cross-cube join (when ordering by such a ratio). */
  readonly lateOrder: { readonly order: readonly PlanOrder[]; readonly limit: number; readonly offset: number } | null;
}
