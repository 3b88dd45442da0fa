/**
 * Query spec + cube model -> plan. Checks every name and member against the
 * model and says what is allowed when something is not. No SQL here.
 */
import { AppError, invariant } from '../errors.ts';
import { MEASURE_KINDS } from '../model/measure-kinds.ts';
import type { Cube, Dimension, Model } from '../model/types.ts';
import type { AggregatePlan, CrossCubeRatio, PlanDimension, PlanMeasure, PlanOrder, PlanRatio, PredicateNode, QueryPlan } from '../plan/plan.ts';
import { coerceKey, declaredKeys, findCube, findDimension, keyExpr, memberPredicate, paramType } from '../plan/predicates.ts';
import type { Filter, QuerySpec } from '../plan/spec.ts';

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
    invariant(m.kind !== 'ratio', `ratio ${name} used as a base measure`);
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

function planDimension(dim: Dimension, axis: 'rows' | 'columns'): PlanDimension {
  const expr = keyExpr(dim);
  const keys = declaredKeys(dim);
  return { name: dim.name, axis, expr, sortExpr: keys ? { kind: 'member_order', expr, keys, type: paramType(dim) } : expr };
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
