/**
 * Member lists of a dimension, with search and paging, restricted to what the
 * caller may see. Each list is a plan (over the dimension's member table, or
 * over the cube's fact table for values seen in the data) that passes the
 * security gate and the one compiler, like a query.
 */
import type { Engine } from '../engine/client.ts';
import type { Cube, Dimension } from '../model/types.ts';
import type { AggregatePlan, PlanDimension, PredicateNode } from '../plan/plan.ts';
import { keyExpr } from '../plan/predicates.ts';
import type { Label } from '../plan/result.ts';
import { secureMembers, type GateContext } from '../security/gate.ts';
import type { Principal } from '../security/principal.ts';
import { compileAggregate, DIMENSION_ALIAS, MEASURE_ALIAS } from './compile.ts';

export interface MemberQuery {
  q?: string;
  parent?: string;
  limit: number;
  offset: number;
}

export interface Member {
  key: string | number;
  label: Label;
  parent?: string;
}

export interface MemberPage {
  dimension: string;
  total: number;
  members: Member[];
}

export interface MemberContext extends GateContext {
  readonly engine: Engine;
}

export async function listMembers(ctx: MemberContext, cube: Cube, dim: Dimension, query: MemberQuery, principal: Principal): Promise<MemberPage> {
  const src = dim.members;
  if (src.kind === 'table') return tableMembers(ctx, cube, dim, src, query, principal);
  let all: Member[];
  if (dim.key.kind === 'bands') {
    secureMembers(undefined, cube, dim, principal, ctx);
    all = dim.key.ranges.map((r) => ({ key: r.key, label: r.label }));
    if (dim.key.missing) all.push({ key: dim.key.missing.key, label: dim.key.missing.label });
  } else if (src.kind === 'inline') {
    secureMembers(undefined, cube, dim, principal, ctx);
    all = src.members.map((m) => ({ key: m.key, label: m.label }));
  } else {
    // Values seen in the data, within the caller's scope.
    const plan = secureMembers(distinctPlan(cube, dim), cube, dim, principal, ctx);
    const rows = await run(ctx.engine, plan);
    all = rows.map((r) => {
      const k = r[DIMENSION_ALIAS(dim.name)] as string | number;
      return { key: dim.type === 'integer' ? Number(k) : String(k), label: { it: String(k) } };
    });
  }
  const q = query.q?.trim().toLowerCase();
  const matching = q ? all.filter((m) => String(m.key).toLowerCase().startsWith(q) || m.label.it.toLowerCase().includes(q) || m.label.en?.toLowerCase().includes(q)) : all;
  return { dimension: dim.name, total: matching.length, members: matching.slice(query.offset, query.offset + query.limit) };
}

/** Distinct keys of a dimension in the fact table, in key order. */
function distinctPlan(cube: Cube, dim: Dimension): AggregatePlan {
  const expr = keyExpr(dim);
  return { kind: 'aggregate', cube: cube.name, table: cube.table, dimensions: [{ name: dim.name, axis: 'rows', expr, sortExpr: expr }], measures: [], ratios: [], where: [], groupingSets: null, order: [] };
}

type MemberTable = { table: string; key: string; label: string; parent?: string };

async function tableMembers(ctx: MemberContext, cube: Cube, dim: Dimension, src: MemberTable, query: MemberQuery, principal: Principal): Promise<MemberPage> {
  const parentDim = src.parent ? cube.dimensions.get(src.parent) : undefined;
  const parentCol = parentDim && parentDim.members.kind === 'table' ? parentDim.members.key : undefined;
  const column = (c: string) => ({ kind: 'column', column: c }) as const;
  const where: PredicateNode[] = [];
  const q = query.q?.trim();
  if (q) where.push({ kind: 'or', items: [{ kind: 'match', expr: column(src.label), mode: 'contains', text: q }, { kind: 'match', expr: column(src.key), mode: 'prefix', text: q }] });
  if (query.parent !== undefined && parentCol) where.push({ kind: 'in', expr: column(parentCol), values: [query.parent], type: 'String', negate: false });
  // Keys, labels and parents of a member table are functions of the key: grouping by all three lists each member once.
  const dim_ = (name: string, c: string): PlanDimension => ({ name, axis: 'rows', expr: column(c), sortExpr: column(c) });
  const dims = [dim_('key', src.key), dim_('label', src.label), ...(parentCol ? [dim_('parent', parentCol)] : [])];
  const base: AggregatePlan = { kind: 'aggregate', cube: cube.name, table: src.table, dimensions: [], measures: [], ratios: [], where, groupingSets: null, order: [] };
  const page = secureMembers({ ...base, dimensions: dims, limit: query.limit, offset: query.offset }, cube, dim, principal, ctx);
  const count = secureMembers({ ...base, measures: [{ name: 'n', aggregate: 'uniqExact', arg: column(src.key) }] }, cube, dim, principal, ctx);
  const [rows, total] = await Promise.all([run(ctx.engine, page), run(ctx.engine, count)]);
  return {
    dimension: dim.name,
    total: Number(total[0]?.[MEASURE_ALIAS('n')] ?? 0),
    members: rows.map((r) => ({
      key: String(r[DIMENSION_ALIAS('key')]),
      label: { it: String(r[DIMENSION_ALIAS('label')]) },
      ...(parentCol ? { parent: String(r[DIMENSION_ALIAS('parent')]) } : {}),
    })),
  };
}

function run(engine: Engine, plan: AggregatePlan): Promise<Record<string, unknown>[]> {
  const compiled = compileAggregate(plan, engine.table);
  return engine.query<Record<string, unknown>>(compiled.sql, compiled.params);
}
