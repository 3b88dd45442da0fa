/**
 * Names and members of the cube model as plan nodes: lookups that say what
 * exists, key expressions and member predicates. Shared by the planner (query/)
 * and the security gate (security/), below both.
 */
import { AppError } from '../errors.ts';
import type { Cube, Dimension, MemberKey, Model } from '../model/types.ts';
import type { ExprNode, ParamType, PredicateNode } from './plan.ts';

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
