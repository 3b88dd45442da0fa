/**
 * Cost before running: an upper estimate of an answer's size from member
 * counts (members per dimension, after filters and scope) times the grouping
 * sets, each set capped by the rows the caller's scope covers. Answers that
 * cannot be served are refused here, with what to narrow, before the engine
 * sees them; the estimate is also the query's priority in the scheduler.
 *
 * Member counts come from the model (bands, inline lists), from one small
 * count query on a member table, or from the scope's statistics (its rows and
 * the distinct values of the dimensions drawn from the data, one query for
 * every scope of a kind), all kept per model and data version.
 */
import { unavailableError, type EngineLimits } from '../engine/limits.ts';
import { missingTableError } from './engine-errors.ts';
import { AppError } from '../errors.ts';
import type { Cube, Dimension, Model } from '../model/types.ts';
import type { Principal } from '../security/principal.ts';
import { SCOPE_GROUP, secureMembers, secureScan, secureScanPerScope } from '../security/gate.ts';
import { compileAggregate, DIMENSION_ALIAS, MEASURE_ALIAS } from './compile.ts';
import type { QueryContext } from './execute.ts';
import type { AggregatePlan, PlanMeasure, QueryPlan } from '../plan/plan.ts';
import { declaredKeys, keyExpr } from '../plan/predicates.ts';

export interface CostEstimate {
  /** Estimated rows of the whole answer, totals and subtotals included, before paging. */
  readonly rows: number;
  /** Rows of the fact table within the caller's scope (what the engine reads). */
  readonly scanned: number;
  readonly groupingSets: number;
  /** Estimated members of each dimension of the query, after filters and scope. */
  readonly members: Readonly<Record<string, number>>;
}

/**
 * Counts kept per model (a hot reload brings a new one) and data version: not per context object,
 * which the result cache copies for every computation it runs. Only the latest data version's
 * counts are kept: a load starts afresh.
 */
const caches = new WeakMap<Model, { versions: string; counts: Map<string, Promise<unknown>> }>();

/** Estimates an answer's size; cheap: at most a few cached count queries. */
export async function estimateCost(ctx: QueryContext, plan: QueryPlan, principal: Principal): Promise<CostEstimate> {
  const cube = plan.cube;
  const scopeKey = `${principal.profile}:${principal.scope ?? ''}`;
  const stats = scopeStatistics(ctx, cube, principal, scopeKey);
  const [{ rows: scanned }, ...counts] = await Promise.all([stats, ...plan.main.dimensions.map((d) => memberCount(ctx, cube, cube.dimensions.get(d.name)!, principal, scopeKey, stats))]);
  const members: Record<string, number> = {};
  plan.main.dimensions.forEach((d, i) => (members[d.name] = filtered(plan, cube.dimensions.get(d.name)!, counts[i])));
  const sets = plan.main.groupingSets ?? [plan.main.dimensions.map((d) => d.name)];
  const rows = sets.reduce((sum, set) => sum + Math.min(setSize(cube, set, members), Math.max(1, scanned)), 0);
  return { rows, scanned, groupingSets: sets.length, members };
}

/** The estimate, or a 413 saying how to narrow the query when it is over the limit. */
export async function admitCost(ctx: QueryContext, plan: QueryPlan, principal: Principal, limits: EngineLimits): Promise<CostEstimate> {
  const cost = await estimateCost(ctx, plan, principal);
  if (cost.rows <= limits.maxEstimatedRows) return cost;
  const it = (n: number) => Math.round(n).toLocaleString('it-IT');
  const biggest = Object.entries(cost.members).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([d, n]) => `${d} (${it(n)} valori)`);
  const totals = cost.groupingSets > 1 ? `; totali e subtotali moltiplicano la risposta per ${cost.groupingSets} livelli di aggregazione: chiederli solo se servono` : '';
  throw new AppError(
    'QUERY_TOO_LARGE',
    `La query produrrebbe circa ${it(cost.rows)} righe, oltre il massimo di ${it(limits.maxEstimatedRows)}. Restringerla: filtrare (es. anno, un territorio), togliere le dimensioni più numerose (${biggest.join(', ')})${totals}. Il parametro limit non basta: i totali si calcolano su tutte le righe.`,
    { estimatedRows: Math.round(cost.rows), maxRows: limits.maxEstimatedRows, members: cost.members, groupingSets: cost.groupingSets },
  );
}

/** Scheduling priority: rows read plus groups built (a rough proxy of engine time). */
export const schedulingCost = (c: CostEstimate): number => c.scanned * c.groupingSets + c.rows;

/** Members of a set, with dimensions of one hierarchy (regione > ats > comune) counted once, by their finest level. */
function setSize(cube: Cube, set: readonly string[], members: Record<string, number>): number {
  const byHierarchy = new Map<string, number[]>();
  let product = 1;
  for (const name of set) {
    const h = cube.dimensions.get(name)?.hierarchy?.name;
    if (h) byHierarchy.set(h, [...(byHierarchy.get(h) ?? []), members[name]]);
    else product *= members[name];
  }
  for (const counts of byHierarchy.values()) product *= Math.max(...counts);
  return product;
}

/** A dimension's members left by the query's filters on it. */
function filtered(plan: QueryPlan, dim: Dimension, n: number): number {
  for (const f of plan.spec.filters) {
    if (f.dimension !== dim.name) continue;
    if (f.op === 'eq') n = Math.min(n, 1);
    else if (f.op === 'in') n = Math.min(n, new Set(f.values).size);
    else if (f.op === 'not_in') n = Math.max(1, n - new Set(f.values).size);
    else if (f.op === 'between' && typeof f.values[0] === 'number' && typeof f.values[1] === 'number') n = Math.min(n, Math.max(1, f.values[1] - f.values[0] + 1));
  }
  return Math.max(1, n);
}

interface ScopeStatistics {
  /** Rows of the cube's table within the scope. */
  rows: number;
  /** Distinct members within the scope of each dimension whose members come from the data. */
  members: Readonly<Record<string, number>>;
}

/**
 * The cube's rows within the caller's scope and the distinct members of its dimensions drawn from
 * the data. Computed for every scope of the caller's kind at once (one engine query grouped by the
 * scope's key: every ATS, every comune…, 20–40 ms at 2M rows, about as much as one scope alone)
 * and cached per model and data version: a burst of first requests from many ATS costs one query,
 * not one each, and the warm-up computes them before users come (`warmCostStatistics`).
 */
function scopeStatistics(ctx: QueryContext, cube: Cube, principal: Principal, scopeKey: string): Promise<ScopeStatistics> {
  const fromData = [...cube.dimensions.values()].filter(drawnFromData);
  const scan = countPlan(cube.name, cube.table, [{ name: 'rows', aggregate: 'count' }, ...fromData.map((d) => ({ name: `d_${d.name}`, aggregate: 'uniqExact' as const, arg: keyExpr(d) }))]);
  const toStatistics = (row: Record<string, number> | undefined): ScopeStatistics => ({ rows: row?.rows ?? 0, members: Object.fromEntries(fromData.map((d) => [d.name, row?.[`d_${d.name}`] ?? 0])) });
  const perScope = secureScanPerScope(scan, cube, principal, ctx);
  if (perScope) {
    const groups = cached(ctx, `statistics per scope\0${cube.name}\0${JSON.stringify(perScope.plan.dimensions[0].expr)}`, () => countGroups(ctx, perScope.plan));
    return groups.then((g) => toStatistics(g.get(perScope.key)));
  }
  const plan = secureScan(scan, cube, principal, ctx);
  return cached(ctx, `statistics\0${cube.name}\0${plan.where.length ? scopeKey : '*'}`, async () => toStatistics(await count(ctx, plan)));
}

/**
 * The statistics of every scope of each kind a cube admits (Italia, every Regione, ATS, comune and
 * ente), computed ahead of users' requests: a few grouped queries per cube. Called by the warm-up.
 */
export async function warmCostStatistics(ctx: QueryContext, principals: readonly Principal[]): Promise<void> {
  for (const cube of ctx.model.cubes.values())
    for (const principal of principals) {
      try {
        await scopeStatistics(ctx, cube, principal, `${principal.profile}:${principal.scope ?? ''}`);
      } catch (err) {
        // A cube this kind of principal may not read, or whose table is missing: nothing to prepare.
        if (!(err instanceof AppError)) throw err;
      }
    }
}

/** A dimension whose members are the distinct values in the data: neither listed by the model nor kept in a member table. */
const drawnFromData = (dim: Dimension): boolean => !declaredKeys(dim) && dim.key.kind !== 'scope_relative' && dim.members.kind !== 'table';

/** Members of a dimension the caller may see: from the model, from the scope's statistics, or counted in the member table through the security gate. */
async function memberCount(ctx: QueryContext, cube: Cube, dim: Dimension, principal: Principal, scopeKey: string, stats: Promise<ScopeStatistics>): Promise<number> {
  const keys = declaredKeys(dim);
  if (keys) return keys.length;
  if (dim.key.kind === 'scope_relative') return 2;
  const src = dim.members;
  // What is left and not in a member table is drawn from the data (`drawnFromData`).
  if (src.kind !== 'table') return (await stats).members[dim.name];
  const plan = secureMembers(countPlan(cube.name, src.table, [{ name: 'n', aggregate: 'uniqExact', arg: { kind: 'column', column: src.key } }]), cube, dim, principal, ctx);
  const row = await cached(ctx, `members\0${cube.name}\0${dim.name}\0${plan.where.length ? scopeKey : '*'}`, () => count(ctx, plan));
  return row.n;
}

async function cached<T>(ctx: QueryContext, key: string, compute: () => Promise<T>): Promise<T> {
  const versions = JSON.stringify((await ctx.dataStatus()).versions);
  let kept = caches.get(ctx.model);
  if (kept?.versions !== versions) caches.set(ctx.model, (kept = { versions, counts: new Map() }));
  const counts = kept.counts;
  let hit = counts.get(key) as Promise<T> | undefined;
  if (!hit) {
    hit = compute();
    counts.set(key, hit);
    // A failure (engine down) is not remembered.
    hit.catch(() => counts.delete(key));
  }
  return hit;
}

/** Counts over a table (count(), uniqExact of expressions): a plan like any other, through the gate and the one compiler. */
function countPlan(cube: string, table: string, measures: PlanMeasure[]): AggregatePlan {
  return { kind: 'aggregate', cube, table, dimensions: [], measures, ratios: [], where: [], groupingSets: null, order: [] };
}

async function count(ctx: QueryContext, plan: AggregatePlan): Promise<Record<string, number>> {
  const [row] = await countRows(ctx, plan);
  return countsOf(plan, row);
}

/** Counts of a per-scope scan, by the scope's key. */
async function countGroups(ctx: QueryContext, plan: AggregatePlan): Promise<Map<string, Record<string, number>>> {
  const rows = await countRows(ctx, plan);
  return new Map(rows.map((row) => [String(row[DIMENSION_ALIAS(SCOPE_GROUP)]), countsOf(plan, row)]));
}

/** The plan's measures of one engine row, by name (0 where the row or the value is missing). */
const countsOf = (plan: AggregatePlan, row: Record<string, unknown> | undefined): Record<string, number> =>
  Object.fromEntries(plan.measures.map((m) => [m.name, Number(row?.[MEASURE_ALIAS(m.name)] ?? 0)]));

async function countRows(ctx: QueryContext, plan: AggregatePlan): Promise<Record<string, unknown>[]> {
  const { sql, params } = compileAggregate(plan, ctx.engine.table);
  try {
    return await ctx.engine.query<Record<string, unknown>>(sql, params);
  } catch (err) {
    throw missingTableError(err, plan.cube, plan.table) ?? unavailableError(err) ?? err;
  }
}
