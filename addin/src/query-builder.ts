/** The pane's choices -> the query contract of the server. Pure, so it is unit-tested. */
import type { QuerySpecInput } from '../../server/plan/spec.ts';

export interface BuilderState {
  cube: string;
  measures: string[];
  rows: string[];
  columns: string[];
  /** Dimension -> chosen member keys, included or excluded. */
  filters: Record<string, { keys: (string | number)[]; exclude: boolean }>;
  totals: boolean;
  subtotals: boolean;
}

export function emptyState(cube: string): BuilderState {
  return { cube, measures: [], rows: [], columns: [], filters: {}, totals: true, subtotals: false };
}

export function toSpec(state: BuilderState, limit?: number): QuerySpecInput {
  const filters = Object.entries(state.filters)
    .filter(([, f]) => f.keys.length > 0)
    .map(([dimension, f]) =>
      f.keys.length === 1 && !f.exclude ? { dimension, op: 'eq' as const, value: f.keys[0] } : { dimension, op: f.exclude ? ('not_in' as const) : ('in' as const), values: f.keys },
    );
  return {
    measures: state.measures,
    rows: state.rows,
    columns: state.columns.filter((c) => !state.rows.includes(c)),
    filters,
    totals: state.totals,
    subtotals: state.subtotals && state.rows.length > 1,
    ...(limit ? { limit } : {}),
  };
}

/** Puts a dimension on an axis (removing it from the other), or takes it off. */
export function toggleAxis(state: BuilderState, dimension: string, axis: 'rows' | 'columns' | 'none'): BuilderState {
  const rows = state.rows.filter((d) => d !== dimension);
  const columns = state.columns.filter((d) => d !== dimension);
  if (axis === 'rows') rows.push(dimension);
  if (axis === 'columns') columns.push(dimension);
  return { ...state, rows, columns };
}
