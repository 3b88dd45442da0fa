/**
 * Cost before running: an upper estimate of an answer's size from member
 * counts (members per dimension, after filters and scope) times the grouping
 * sets, each set capped by the rows the caller's scope covers. Answers that
 * cannot be served are refused here, with what to narrow, before the engine
 * sees them; the estimate is also the query's priority in the scheduler.
 *
 * Member counts come from the model (bands, inline lists) or from one small
 * count query (member tables, distinct values), cached per query context, that
 * is per model and data version.
 */
import { unavailableError, type EngineLimits } from '../engine/limits.ts';
import { AppError } from '../errors.ts';
import type { Cube, Dimension } from '../model/types.ts';
import type { Principal } from '../security/principal.ts';
import { secureMembers } from '../security/gate.ts';
import { resolveScope, restrict } from '../security/scope.ts';
import { compileAggregate, MEASURE_ALIAS } from './compile.ts';
import type { QueryContext } from './execute.ts';
import type { AggregatePlan, ExprNode, QueryPlan } from '../plan/plan.ts';
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

const caches = new WeakMap<QueryContext, Map<string, Promise<number>>>();

/** Estimates an answer's size; cheap: at most a few cached count queries. */
export async function estimateCost(ctx: QueryContext, plan: QueryPlan, principal: Principal): Promise<CostEstimate> {
  const cube = plan.cube;
  const scopeKey = `${principal.profile}:${principal.scope ?? ''}`;
  const [scanned, ...counts] = await Promise.all([
    cachedCount(ctx, `rows\0${cube.name}`, scopeKey, restrict(countPlan(cube.table, undefined), cube, resolveScope(principal, ctx.directory))),
    ...plan.main.dimensions.map((d) => memberCount(ctx, cube, cube.dimensions.get(d.name)!, principal, scopeKey)),
  ]);
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

/** Members of a dimension the caller may see: from the model, or counted in the member table or the data through the security gate. */
function memberCount(ctx: QueryContext, cube: Cube, dim: Dimension, principal: Principal, scopeKey: string): Promise<number> {
  const keys = declaredKeys(dim);
  if (keys) return Promise.resolve(keys.length);
  if (dim.key.kind === 'scope_relative') return Promise.resolve(2);
  const src = dim.members;
  const plan = src.kind === 'table' ? countPlan(src.table, { kind: 'column', column: src.key }) : countPlan(cube.table, keyExpr(dim));
  return cachedCount(ctx, `members\0${cube.name}\0${dim.name}`, scopeKey, secureMembers(plan, cube, dim, principal, ctx));
}

/** A count cached per context; per scope only when the gate restricted the plan. */
function cachedCount(ctx: QueryContext, key: string, scopeKey: string, plan: AggregatePlan): Promise<number> {
  return cached(ctx, `${key}\0${plan.where.length ? scopeKey : '*'}`, () => count(ctx, plan));
}

function cached(ctx: QueryContext, key: string, compute: () => Promise<number>): Promise<number> {
  let cache = caches.get(ctx);
  if (!cache) caches.set(ctx, (cache = new Map()));
  let hit = cache.get(key);
  if (!hit) {
    hit = compute();
    cache.set(key, hit);
    // A failure (engine down) is not remembered.
    hit.catch(() => cache.delete(key));
  }
  return hit;
}

/** count() of a table, or uniqExact of an expression: a plan like any other, through the gate and the one compiler. */
function countPlan(table: string, arg: ExprNode | undefined): AggregatePlan {
  return { kind: 'aggregate', cube: '', table, dimensions: [], measures: [{ name: 'n', aggregate: arg ? 'uniqExact' : 'count', arg }], ratios: [], where: [], groupingSets: null, order: [] };
}

async function count(ctx: QueryContext, plan: AggregatePlan): Promise<number> {
  const { sql, params } = compileAggregate(plan, ctx.engine.table);
  try {
    const [row] = await ctx.engine.query<Record<string, unknown>>(sql, params);
    return Number(row?.[MEASURE_ALIAS('n')] ?? 0);
  } catch (err) {
    throw unavailableError(err) ?? err;
  }
}
