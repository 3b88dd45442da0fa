/**
 * The select plan: a read of rows (not an answer of a cube), e.g. the PON
 * microdata of one ATS, the territory directory, member labels, the admin's
 * catalog of tables. Like the aggregate plan it is a tree of plain objects that
 * the one compiler turns into SQL with bound parameters; it reaches the
 * compiler only as a `GatedSelect`, which only the security gate makes.
 */
import type { ExprNode, ParamType, PlanFunction, PredicateNode } from './plan.ts';

/** One of our tables (by its model name), or the engine's catalog of tables (`system.tables`). */
export type SelectSource = { readonly kind: 'table'; readonly name: string } | { readonly kind: 'catalog'; readonly name: 'tables' };

export interface SelectColumn {
  readonly alias: string;
  readonly expr: ExprNode;
}

export interface SelectOrder {
  readonly expr: ExprNode;
  readonly direction: 'asc' | 'desc';
}

export interface SelectPlan {
  readonly kind: 'select';
  readonly from: SelectSource;
  readonly columns: readonly SelectColumn[];
  /** ANDed together. */
  readonly where: readonly PredicateNode[];
  readonly groupBy?: readonly ExprNode[];
  readonly order?: readonly SelectOrder[];
  readonly limit?: number;
}

/**
 * A select plan the gate has passed: `reader` says on whose behalf it reads,
 * a principal's (scoped by the gate) or the system's own (reference data).
 */
export interface GatedSelect extends SelectPlan {
  readonly reader: 'principal' | 'system';
}

/** Runs a gated select plan (the query layer compiles and executes it): lets security/ read without importing query/. */
export type RowReader = <T>(plan: GatedSelect) => Promise<T[]>;

export const column = (name: string): ExprNode => ({ kind: 'column', column: name });
export const value = (v: string | number, type: ParamType): ExprNode => ({ kind: 'value', value: v, type });
export const call = (fn: PlanFunction, ...args: ExprNode[]): ExprNode => ({ kind: 'call', fn, args });

/** A plan reading `columns` of every row of `table` (a column named by itself or `[alias, expression]`); `rest` adds conditions, grouping, order. */
export function selectFrom(table: string, columns: readonly (string | readonly [string, ExprNode])[], rest: Partial<Omit<SelectPlan, 'kind' | 'from' | 'columns'>> = {}): SelectPlan {
  return {
    kind: 'select',
    from: { kind: 'table', name: table },
    columns: columns.map((c) => (typeof c === 'string' ? { alias: c, expr: column(c) } : { alias: c[0], expr: c[1] })),
    where: [],
    ...rest,
  };
}
