/**
 * The kinds of measure a cube file may declare, in one table: how each is
 * aggregated in ClickHouse, whether its rows may be added up, whether it
 * needs a column. The cube-file schema, the model types, the loader, the
 * planner and the API's schemas all derive from it: a new kind is a row here
 * (and the build then shows what else must learn about it).
 */
export const MEASURE_KINDS = {
  sum: { aggregate: 'sum', additive: true, column: 'required', description: 'somma di una colonna' },
  count: { aggregate: 'count', additive: true, column: 'optional', description: 'numero di righe' },
  count_distinct: { aggregate: 'uniqExact', additive: false, column: 'required', description: 'numero di valori distinti di una colonna (mai sommabile)' },
  ratio: { aggregate: null, additive: false, column: 'none', description: 'rapporto tra due misure, anche di un altro cubo' },
} as const satisfies Record<string, { aggregate: string | null; additive: boolean; column: 'required' | 'optional' | 'none'; description: string }>;

export type MeasureKind = keyof typeof MEASURE_KINDS;
/** Kinds computed by one aggregate function (every kind but ratio). */
export type BaseMeasureKind = { [K in MeasureKind]: (typeof MEASURE_KINDS)[K]['aggregate'] extends null ? never : K }[MeasureKind];
/** ClickHouse aggregate functions of the base kinds. */
export type Aggregate = (typeof MEASURE_KINDS)[BaseMeasureKind]['aggregate'];

export const MEASURE_KIND_NAMES = Object.keys(MEASURE_KINDS) as [MeasureKind, ...MeasureKind[]];
