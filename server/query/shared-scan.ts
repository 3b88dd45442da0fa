/**
 * One engine query for several secured plans that read the same rows: the indicators and tables of
 * a report, which share cube, filters and scope and differ only in what they group by. The union of
 * their grouping sets is computed in one pass (per person, as `compileAggregate` does), so the rows
 * are read once and the sets every plan needs (above all the person set of the totals, the costliest
 * part of a national table) are built once instead of once per plan: measured 2× faster on the
 * national Quadro Nazionale (README, issue #15).
 *
 * Each plan then gets exactly the engine rows its own query would have returned, in the same order
 * (`split`), and goes on through its own disclosure control: sharing the scan changes no figure
 * (test/shared-scan.test.ts compares every report with and without it).
 */
import type { AggregatePlan, ExprNode, PlanDimension } from '../plan/plan.ts';
import { compileAggregate, DIMENSION_ALIAS, GROUPING_ALIAS, type CompiledQuery } from './compile.ts';
import { groupByMemoryBeforeSpill, type EngineLimits } from '../engine/limits.ts';

type RawRow = Record<string, unknown>;

/**
 * Engine memory a shared scan is taken to need per fact row in the caller's scope. The combined query
 * keeps the person sets of every plan's grouping sets in memory at once: when that is more than the
 * engine gives a GROUP BY before spilling to disk (`groupByMemoryBeforeSpill`), it costs more than
 * reading the rows again. Measured (README, "Scansioni condivise"): with the default 2 GB, national at
 * 10M rows (10M in scope) and the busiest ATS at 100M rows (4.5M) are slower shared (Confronti
 * Temporali 6.0 -> 10.7 s; Quadro ATS 4.1 -> 5.1 s), a Regione (0.8M) and an ATS (0.45M) at 10M
 * faster (0.3-0.95×); with 12 GB the busiest ATS at 100M is faster shared (Quadro ATS 3.8 -> 2.7 s).
 * 1,000 bytes a row puts the bound between those points: 1.07M rows with 2 GB, 6.4M with 12 GB.
 */
export const SHARED_SCAN_BYTES_PER_ROW = 1000;

/** The largest scope (fact rows) that shares a scan under these limits; no memory limit: any. */
export function sharedScanMaxRows(limits: Pick<EngineLimits, 'maxMemoryUsage'>): number {
  const memory = groupByMemoryBeforeSpill(limits);
  return memory > 0 ? Math.floor(memory / SHARED_SCAN_BYTES_PER_ROW) : Infinity;
}

export interface SharedScan {
  readonly compiled: CompiledQuery;
  /** The combined query's rows -> each plan's engine rows, as its own query would have returned them. */
  split(rows: readonly RawRow[]): RawRow[][];
}

/**
 * What plans must have in common to share a scan (undefined: the plan runs alone): the table, the
 * filters and scope, the person, and their measures that keep a set of values per person and cell
 * (distinct counts of something other than the person, such as the comuni of an indicator or the
 * assessments of SINA). The combined query computes every measure of every plan in every grouping
 * set: cheap sums and counts cost little there, but a set per person and cell in the sets of other
 * plans cost more than the scan saves (measured: national Prospetto Categoria 13.8 -> 19.0 s when the
 * indicators' comuni joined the tables). Only per-person plans without paging and ordered by their
 * dimensions (what the cell key method asks for) share: their order is rebuilt by `split`.
 */
export function scanSignature(plan: AggregatePlan): string | undefined {
  if (!plan.person || plan.limit !== undefined || plan.offset) return undefined;
  if (plan.order.some((o) => !plan.dimensions.some((d) => d.name === o.by))) return undefined;
  const person = JSON.stringify(plan.person);
  const isPerson = (units: readonly ExprNode[] | undefined) => units?.length === 1 && JSON.stringify(units[0]) === person;
  const sets = plan.measures.filter((m) => m.aggregate === 'groupUniqArray' || (m.aggregate === 'uniqExact' && !isPerson(m.arg && [m.arg])) || (m.aggregate === 'cellKey' && m.key!.distinct && !isPerson(m.key!.units)));
  return JSON.stringify([plan.cube, plan.table, plan.where, plan.person, sets.map((m) => m.name).sort()]);
}

/**
 * The combined query of plans with one signature, or undefined when they cannot be combined (two
 * dimensions or measures of one name defined differently).
 */
export function compileSharedScan(plans: readonly AggregatePlan[], table: (name: string) => string): SharedScan | undefined {
  if (plans.length < 2) return undefined;
  const signature = scanSignature(plans[0]);
  if (signature === undefined || plans.some((p) => scanSignature(p) !== signature)) return undefined;
  // A dimension's axis does not change its SQL.
  const dimensions = unionByName(plans.map((p) => p.dimensions), (d) => JSON.stringify([d.expr, d.sortExpr]));
  const measures = unionByName(plans.map((p) => p.measures));
  const ratios = unionByName(plans.map((p) => p.ratios));
  if (!dimensions || !measures || !ratios) return undefined;

  const setsOf = plans.map((p) => (p.dimensions.length === 0 ? [[]] : (p.groupingSets ?? [p.dimensions.map((d) => d.name)])).map((s) => setId(s)));
  const sets = [...new Set(setsOf.flat())].map((id) => (id === '' ? [] : id.split('\0')));
  // Dimensions in a set in the union's order (the order of grouping() arguments is the union's).
  const ordered = sets.map((s) => dimensions.filter((d) => s.includes(d.name)).map((d) => d.name));
  const union: AggregatePlan = { ...plans[0], dimensions, measures, ratios, groupingSets: ordered, order: [], limit: undefined, offset: undefined };
  const compiled = compileAggregate(union, table);

  return {
    compiled,
    split(rows) {
      const n = dimensions.length;
      const out: RawRow[][] = plans.map(() => []);
      // Which plans each grouping set of the union belongs to, by the union's grouping() value.
      const byGrouping = new Map<number, { plan: number; grouping: number }[]>();
      const wanted = (grouping: number) => {
        let targets = byGrouping.get(grouping);
        if (targets) return targets;
        const present = dimensions.filter((_, i) => ((grouping >> (n - 1 - i)) & 1) === 0).map((d) => d.name);
        const id = setId(present);
        targets = [];
        plans.forEach((p, i) => {
          if (!setsOf[i].includes(id)) return;
          // The plan's own grouping(): bit (m-1-k) set when its k-th dimension is rolled up.
          const m = p.dimensions.length;
          const own = p.dimensions.reduce((g, d, k) => (present.includes(d.name) ? g : g | (1 << (m - 1 - k))), 0);
          targets!.push({ plan: i, grouping: own });
        });
        byGrouping.set(grouping, targets);
        return targets;
      };
      for (const row of rows) {
        for (const t of wanted(Number(row[GROUPING_ALIAS] ?? 0))) out[t.plan].push({ ...row, [GROUPING_ALIAS]: t.grouping });
      }
      return out.map((r, i) => r.sort(engineOrder(plans[i])));
    },
  };
}

const setId = (names: readonly string[]) => [...names].sort().join('\0');

/** Items of several lists by name, first occurrence first; undefined when one name has two definitions. */
function unionByName<T extends { readonly name: string }>(lists: readonly (readonly T[])[], definition: (item: T) => string = (item) => JSON.stringify(item)): T[] | undefined {
  const seen = new Map<string, { item: T; json: string }>();
  for (const item of lists.flat()) {
    const json = definition(item);
    const other = seen.get(item.name);
    if (!other) seen.set(item.name, { item, json });
    else if (other.json !== json) return undefined;
  }
  return [...seen.values()].map((v) => v.item);
}

/**
 * The order `compileAggregate` asks the engine for (ORDER BY in compile.ts): rolled-up rows after the
 * others when the plan is ordered, the plan's order, then each dimension (its rolled-up rows after its
 * members, then its sort key: member order or its value), as a comparator of engine rows.
 */
export function engineOrder(plan: AggregatePlan): (a: RawRow, b: RawRow) => number {
  const n = plan.dimensions.length;
  const grouped = plan.groupingSets !== null && n > 0;
  const index = new Map(plan.dimensions.map((d, i) => [d.name, i]));
  const rolled = (row: RawRow, i: number) => (grouped ? (Number(row[GROUPING_ALIAS] ?? 0) >> (n - 1 - i)) & 1 : 0);
  const steps: ((a: RawRow, b: RawRow) => number)[] = [];
  if (plan.order.length && grouped) steps.push((a, b) => Number(Number(a[GROUPING_ALIAS]) !== 0) - Number(Number(b[GROUPING_ALIAS]) !== 0));
  for (const o of plan.order) {
    const d = plan.dimensions[index.get(o.by)!];
    const key = sortKey(d);
    const sign = o.direction === 'desc' ? -1 : 1;
    steps.push((a, b) => compareValues(key(a), key(b), sign));
  }
  plan.dimensions.forEach((d, i) => {
    const key = sortKey(d);
    if (grouped) steps.push((a, b) => rolled(a, i) - rolled(b, i));
    steps.push((a, b) => compareValues(key(a), key(b), 1));
  });
  return (a, b) => {
    for (const step of steps) {
      const c = step(a, b);
      if (c !== 0) return c;
    }
    return 0;
  };
}

/** A dimension's sort key of an engine row: its position among the declared members (1-based, 0 when absent, as indexOf), else its value. */
function sortKey(d: PlanDimension): (row: RawRow) => unknown {
  const alias = DIMENSION_ALIAS(d.name);
  const s = d.sortExpr;
  if (s.kind === 'member_order') {
    const positions = new Map(s.keys.map((k, i) => [String(k), i + 1]));
    return (row) => (row[alias] === null || row[alias] === undefined ? 0 : (positions.get(String(row[alias])) ?? 0));
  }
  return (row) => row[alias];
}

/** The engine's order (`sign` 1 ascending, -1 descending): numbers by value, text by code unit (codes are ASCII), NULL last either way. */
function compareValues(x: unknown, y: unknown, sign: number): number {
  const xNull = x === null || x === undefined;
  const yNull = y === null || y === undefined;
  if (xNull || yNull) return Number(xNull) - Number(yNull);
  if (typeof x === 'number' && typeof y === 'number') return sign * (x - y);
  const a = String(x);
  const b = String(y);
  return sign * (a < b ? -1 : a > b ? 1 : 0);
}
