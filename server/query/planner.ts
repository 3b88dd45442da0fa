/**
 * Query spec + cube model -> plan. Checks every name and member against the
 * model and says what is allowed when something is not. No SQL here.
 */
import { AppError } from '../errors.ts';
import { MEASURE_KINDS } from '../model/measure-kinds.ts';
import type { Cube, Dimension, MemberKey, Model } from '../model/types.ts';
import type { AggregatePlan, ExprNode, ParamType, PlanDimension, PlanMeasure, PlanOrder, PlanRatio, PredicateNode } from './plan.ts';
import type { Filter, QuerySpec } from './spec.ts';

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

export function findCube(model: Model, name: string): Cube {
  const cube = model.cubes.get(name);
  if (!cube) throw new AppError('UNKNOWN_CUBE', `Il cubo "${name}" non esiste. Cubi disponibili: ${[...model.cubes.values()].filter((c) => !c.hidden).map((c) => c.name).join(', ')}.`);
  return cube;
}

export function findDimension(cube: Cube, name: string): Dimension {
  const dim = cube.dimensions.get(name);
  if (!dim) throw new AppError('UNKNOWN_DIMENSION', `Il cubo "${cube.name}" non ha la dimensione "${name}". Dimensioni: ${[...cube.dimensions.keys()].join(', ')}.`, { allowed: [...cube.dimensions.keys()] });
  return dim;
}

export function planQuery(model: Model, cubeName: string, spec: QuerySpec): QueryPlan {
  const cube = findCube(model, cubeName);
  const dimNames = [...spec.rows, ...spec.columns];
  const seen = new Set<string>();
  for (const d of dimNames) {
    findDimension(cube, d);
    if (seen.has(d)) throw new AppError('DUPLICATE_DIMENSION', `La dimensione "${d}" compare due volte tra righe e colonne.`);
    seen.add(d);
  }

  const base = new Map<string, PlanMeasure>();
  const ratios: PlanRatio[] = [];
  const crossRatios: Omit<CrossCubeRatio, 'plan' | 'sharedDimensions'>[] = [];
  const addBase = (name: string) => {
    if (base.has(name)) return;
    const m = cube.measures.get(name)!;
    if (m.kind === 'ratio') throw new Error(`ratio ${name} used as a base measure`);
    base.set(name, {
      name,
      aggregate: MEASURE_KINDS[m.kind].aggregate,
      arg: m.column ? { kind: 'column', column: m.column } : undefined,
      where: Object.keys(m.where).length ? and(Object.entries(m.where).map(([d, keys]) => memberPredicate(findDimension(cube, d), 'in', keys))) : undefined,
    });
  };
  for (const name of spec.measures) {
    const m = cube.measures.get(name);
    if (!m) throw new AppError('UNKNOWN_MEASURE', `Il cubo "${cube.name}" non ha la misura "${name}". Misure: ${[...cube.measures.keys()].join(', ')}.`, { allowed: [...cube.measures.keys()] });
    if (m.kind !== 'ratio') addBase(name);
    else if (!m.denominator.cube) {
      addBase(m.numerator);
      addBase(m.denominator.measure);
      ratios.push({ name, numerator: m.numerator, denominator: m.denominator.measure });
    } else {
      addBase(m.numerator);
      crossRatios.push({ name, numerator: m.numerator, cube: m.denominator.cube, measure: m.denominator.measure });
    }
  }
  const outputs = [...new Set(spec.measures)];

  const where = spec.filters.map((f) => filterPredicate(cube, f));
  const dimensions = dimNames.map((name) => planDimension(findDimension(cube, name), spec.columns.includes(name) ? 'columns' : 'rows'));
  const groupingSets = groupingSetsFor(spec);

  const crossNames = new Set(crossRatios.map((r) => r.name));
  const order = spec.order.map((o) => {
    if (!seen.has(o.by) && !outputs.includes(o.by))
      throw new AppError('INVALID_ORDER', `Si può ordinare solo per una dimensione o misura della query; "${o.by}" non lo è.`);
    return { by: o.by, direction: o.direction } as PlanOrder;
  });
  const late = order.some((o) => crossNames.has(o.by));

  const main: AggregatePlan = {
    kind: 'aggregate',
    cube: cube.name,
    table: cube.table,
    dimensions,
    measures: [...base.values()],
    ratios,
    where,
    groupingSets,
    order: late ? [] : order,
    limit: late ? undefined : spec.limit,
    offset: late ? undefined : spec.offset,
  };

  const planned: CrossCubeRatio[] = crossRatios.map((r) => {
    const other = findCube(model, r.cube);
    const shared = dimNames.filter((d) => other.dimensions.has(d));
    const subSpec: QuerySpec = {
      measures: [r.measure],
      rows: shared,
      columns: [],
      filters: spec.filters.filter((f) => other.dimensions.has(f.dimension)),
      totals: false,
      subtotals: false,
      order: [],
      limit: Number.MAX_SAFE_INTEGER,
      offset: 0,
    };
    const sub = planQuery(model, other.name, subSpec).main;
    const sets = main.groupingSets?.map((set) => set.filter((d) => shared.includes(d)));
    return { ...r, sharedDimensions: shared, plan: { ...sub, groupingSets: sets ? dedupeSets(sets) : null, limit: undefined, offset: undefined } };
  });

  return { cube, spec, main, crossRatios: planned, outputs, lateOrder: late ? { order, limit: spec.limit, offset: spec.offset } : null };
}

/** Row sets x column sets: detail, row subtotals (every prefix), row totals, column totals, grand total. */
export function groupingSetsFor(spec: Pick<QuerySpec, 'rows' | 'columns' | 'totals' | 'subtotals'>): string[][] | null {
  if (!spec.totals && !spec.subtotals) return null;
  const { rows, columns } = spec;
  const rowSets: string[][] = spec.subtotals ? rows.map((_, i) => rows.slice(0, rows.length - i)).concat([[]]) : [rows, []];
  const colSets: string[][] = spec.totals ? [columns, []] : [columns];
  return dedupeSets(rowSets.flatMap((r) => colSets.map((c) => [...r, ...c])));
}

function dedupeSets(sets: readonly (readonly string[])[]): string[][] {
  const seen = new Set<string>();
  return sets.filter((s) => !seen.has(s.join('\0')) && seen.add(s.join('\0'))).map((s) => [...s]);
}

export function keyExpr(dim: Dimension): ExprNode {
  switch (dim.key.kind) {
    case 'column':
      return { kind: 'column', column: dim.key.column };
    case 'expression':
      return { kind: 'sql', sql: dim.key.sql };
    case 'bands':
      return { kind: 'bands', column: dim.key.column, ranges: dim.key.ranges, missing: dim.key.missing?.key };
    case 'scope_relative':
      return { kind: 'scope_relative', columns: dim.key.columns };
  }
}

export function paramType(dim: Dimension): ParamType {
  return dim.type === 'integer' ? 'Int64' : 'String';
}

/** Keys in member order, for dimensions whose members the model lists (bands, inline lists). */
export function declaredKeys(dim: Dimension): MemberKey[] | undefined {
  if (dim.key.kind === 'bands') return [...dim.key.ranges.map((r) => r.key), ...(dim.key.missing ? [dim.key.missing.key] : [])];
  if (dim.members.kind === 'inline') return dim.members.members.map((m) => m.key);
  return undefined;
}

function planDimension(dim: Dimension, axis: 'rows' | 'columns'): PlanDimension {
  const expr = keyExpr(dim);
  const keys = declaredKeys(dim);
  return { name: dim.name, axis, expr, sortExpr: keys ? { kind: 'member_order', expr, keys, type: paramType(dim) } : expr };
}

/** Checks and converts a member key given by a user: integers may come as numeric strings (query strings, Excel). */
export function coerceKey(dim: Dimension, value: MemberKey): MemberKey {
  let key: MemberKey = value;
  if (dim.type === 'integer') {
    if (typeof value === 'string' && /^-?\d{1,15}$/.test(value.trim())) key = Number(value.trim());
    if (typeof key !== 'number' || !Number.isInteger(key))
      throw new AppError('INVALID_MEMBER', `La dimensione "${dim.name}" ha valori interi; ${JSON.stringify(value)} non lo è.`);
  } else {
    key = String(value);
  }
  const keys = declaredKeys(dim);
  if (keys && !keys.includes(key))
    throw new AppError('UNKNOWN_MEMBER', `"${key}" non è un valore di "${dim.name}". Valori ammessi: ${keys.join(', ')}.`, { dimension: dim.name, allowed: keys });
  return key;
}

export function memberPredicate(dim: Dimension, op: 'in' | 'not_in', values: readonly MemberKey[]): PredicateNode {
  const keys = [...new Set(values.map((v) => coerceKey(dim, v)))];
  return { kind: 'in', expr: keyExpr(dim), values: keys, type: paramType(dim), negate: op === 'not_in' };
}

function filterPredicate(cube: Cube, f: Filter): PredicateNode {
  const dim = findDimension(cube, f.dimension);
  switch (f.op) {
    case 'eq':
      return memberPredicate(dim, 'in', [f.value]);
    case 'in':
    case 'not_in':
      return memberPredicate(dim, f.op, f.values);
    case 'gte':
    case 'lte':
    case 'between': {
      if (!dim.ordered)
        throw new AppError('NOT_ORDERED', `La dimensione "${dim.name}" non è ordinata: usa eq, in o not_in. Dimensioni ordinate: ${[...cube.dimensions.values()].filter((d) => d.ordered).map((d) => d.name).join(', ')}.`);
      const [lo, hi] = f.op === 'between' ? f.values : f.op === 'gte' ? [f.value, undefined] : [undefined, f.value];
      const keys = declaredKeys(dim);
      if (keys) {
        // Ordered member lists (bands): a range is the set of members between the two, in declared order.
        const from = lo === undefined ? 0 : keys.indexOf(coerceKey(dim, lo));
        const to = hi === undefined ? keys.length - 1 : keys.indexOf(coerceKey(dim, hi));
        const inRange = keys.slice(from, to + 1).filter((k) => dim.key.kind !== 'bands' || k !== dim.key.missing?.key);
        return inRange.length ? memberPredicate(dim, 'in', inRange) : { kind: 'false' };
      }
      const items: PredicateNode[] = [];
      if (lo !== undefined) items.push({ kind: 'compare', expr: keyExpr(dim), op: '>=', value: coerceKey(dim, lo), type: paramType(dim) });
      if (hi !== undefined) items.push({ kind: 'compare', expr: keyExpr(dim), op: '<=', value: coerceKey(dim, hi), type: paramType(dim) });
      return and(items);
    }
  }
}

function and(items: PredicateNode[]): PredicateNode {
  return items.length === 1 ? items[0] : { kind: 'and', items };
}
