/** Member lists of a dimension, with search and paging, restricted to what the caller may see. */
import type { Engine } from '../engine/client.ts';
import { quoteIdentifier } from '../engine/client.ts';
import type { Cube, Dimension } from '../model/types.ts';
import type { Directory } from '../security/directory.ts';
import type { Principal } from '../security/principal.ts';
import { checkCubeAccess, memberScope, resolveScope, scopePredicate } from '../security/scope.ts';
import { compilePredicate } from './compile.ts';
import type { Label } from '../plan/result.ts';

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

export async function listMembers(engine: Engine, directory: Directory, cube: Cube, dim: Dimension, query: MemberQuery, principal: Principal): Promise<MemberPage> {
  checkCubeAccess(cube, principal);
  const src = dim.members;
  if (src.kind === 'table') return tableMembers(engine, directory, cube, dim, src, query, principal);
  let all: Member[];
  if (dim.key.kind === 'bands') {
    all = dim.key.ranges.map((r) => ({ key: r.key, label: r.label }));
    if (dim.key.missing) all.push({ key: dim.key.missing.key, label: dim.key.missing.label });
  } else if (src.kind === 'inline') {
    all = src.members.map((m) => ({ key: m.key, label: m.label }));
  } else {
    // Values seen in the data, within the caller's scope.
    const col = dim.key.kind === 'column' ? quoteIdentifier(dim.key.column) : `(${dim.key.kind === 'expression' ? dim.key.sql : '0'})`;
    const scope = scopePredicate(cube, resolveScope(principal, directory));
    const where = scope ? compilePredicate(scope, 'scope_') : undefined;
    const rows = await engine.query<{ k: string | number }>(`SELECT DISTINCT ${col} AS k FROM ${engine.table(cube.table)}${where ? ` WHERE ${where.sql}` : ''} ORDER BY k`, where?.params ?? {});
    all = rows.map((r) => ({ key: dim.type === 'integer' ? Number(r.k) : String(r.k), label: { it: String(r.k) } }));
  }
  const q = query.q?.trim().toLowerCase();
  const matching = q ? all.filter((m) => String(m.key).toLowerCase().startsWith(q) || m.label.it.toLowerCase().includes(q) || m.label.en?.toLowerCase().includes(q)) : all;
  return { dimension: dim.name, total: matching.length, members: matching.slice(query.offset, query.offset + query.limit) };
}

async function tableMembers(
  engine: Engine,
  directory: Directory,
  cube: Cube,
  dim: Dimension,
  src: { table: string; key: string; label: string; parent?: string },
  query: MemberQuery,
  principal: Principal,
): Promise<MemberPage> {
  const key = quoteIdentifier(src.key);
  const label = quoteIdentifier(src.label);
  const parentDim = src.parent ? cube.dimensions.get(src.parent) : undefined;
  const parentCol = parentDim && parentDim.members.kind === 'table' ? quoteIdentifier(parentDim.members.key) : undefined;
  const conditions: string[] = [];
  const params: Record<string, unknown> = {};
  if (query.q) {
    params.q = query.q.trim();
    conditions.push(`(positionCaseInsensitiveUTF8(${label}, {q:String}) > 0 OR startsWith(${key}, {q:String}))`);
  }
  if (query.parent !== undefined && parentCol) {
    params.parent = query.parent;
    conditions.push(`${parentCol} = {parent:String}`);
  }
  const scope = memberScope(cube, dim, principal, directory);
  if (scope) {
    const compiled = compilePredicate(scope, 'scope_');
    conditions.push(compiled.sql);
    Object.assign(params, compiled.params);
  }
  const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
  const from = engine.table(src.table);
  const [rows, count] = await Promise.all([
    engine.query<{ k: string; l: string; p?: string }>(
      `SELECT ${key} AS k, any(${label}) AS l${parentCol ? `, any(${parentCol}) AS p` : ''} FROM ${from} ${where} GROUP BY k ORDER BY k LIMIT {limit:UInt64} OFFSET {offset:UInt64}`,
      { ...params, limit: query.limit, offset: query.offset },
    ),
    engine.query<{ n: number }>(`SELECT uniqExact(${key}) AS n FROM ${from} ${where}`, params),
  ]);
  return {
    dimension: dim.name,
    total: Number(count[0]?.n ?? 0),
    members: rows.map((r) => ({ key: r.k, label: { it: r.l }, ...(parentCol ? { parent: r.p } : {}) })),
  };
}
