/**
 * Members of the OLAP hierarchies, read through the server's scoped member
 * lists (server/query/members.ts): a principal never sees a member outside
 * its scope. One instance per request caches each level it reads.
 */
import type { Measure, MemberKey } from '../model/types.ts';
import type { QueryContext } from '../query/execute.ts';
import { listMembers } from '../query/members.ts';
import type { Principal } from '../security/principal.ts';
import { bracket, MEASURES, measureUniqueName, memberUniqueName, type OlapCube, type OlapHierarchy, type OlapLevel } from './catalog.ts';

export interface OlapMember {
  readonly hierarchy: OlapHierarchy;
  readonly depth: number;
  /** Keys of the member and its ancestors, top level first (empty for All). */
  readonly path: readonly MemberKey[];
  readonly caption: string;
  readonly uniqueName: string;
  /** Position in the hierarchy's natural order: indexes of the member and its ancestors within their levels. */
  readonly order: readonly number[];
  /** Set on the members of the Measures hierarchy. */
  readonly measure?: Measure;
}

const MAX_MEMBERS = 100_000;
export const pathKey = (path: readonly MemberKey[]): string => JSON.stringify(path.map(String));

/** Which members of a hierarchy a sub-select keeps: those related (ancestor, self or descendant) to a selected one. */
export type Restriction = ReadonlyMap<string, readonly OlapMember[]>;

export class MemberSource {
  private readonly levels = new Map<string, Promise<OlapMember[]>>();
  private readonly byName = new Map<string, Map<string, OlapMember>>();

  constructor(
    private readonly ctx: QueryContext,
    readonly cube: OlapCube,
    private readonly principal: Principal,
    private readonly restriction: Restriction = new Map(),
  ) {}

  allMember(h: OlapHierarchy): OlapMember {
    return { hierarchy: h, depth: 0, path: [], caption: `Tutti (${h.caption})`, uniqueName: h.allUniqueName, order: [] };
  }

  /** The members of a level, in natural order (scoped, restricted by the sub-select). */
  levelMembers(level: OlapLevel, h: OlapHierarchy): Promise<OlapMember[]> {
    let p = this.levels.get(level.uniqueName);
    if (!p) {
      p = this.readLevel(level, h).then((all) => {
        const keep = this.restriction.get(h.uniqueName);
        const members = keep ? all.filter((m) => keep.some((s) => related(s, m))) : all;
        this.byName.set(level.uniqueName, new Map(members.map((m) => [pathKey(m.path), m])));
        return members;
      });
      this.levels.set(level.uniqueName, p);
    }
    return p;
  }

  private async readLevel(level: OlapLevel, h: OlapHierarchy): Promise<OlapMember[]> {
    if (level.depth === 0) return [this.allMember(h)];
    const dim = level.dimension!;
    const page = await listMembers(this.ctx, this.cube.cube, dim, { limit: MAX_MEMBERS, offset: 0 }, this.principal);
    const rows = page.members;
    if (level.depth === 1)
      return rows.map((m, i) => ({ hierarchy: h, depth: 1, path: [m.key], caption: m.label.it, uniqueName: memberUniqueName(h, 1, [m.key]), order: [i] }));
    const parentLevel = h.levels[level.depth - 1];
    const parents = await this.levelMembers(parentLevel, h);
    const src = dim.members;
    const out: OlapMember[] = [];
    const make = (parent: OlapMember, key: MemberKey, caption: string, i: number): OlapMember => {
      const path = [...parent.path, key];
      return { hierarchy: h, depth: level.depth, path, caption, uniqueName: memberUniqueName(h, level.depth, path), order: [...parent.order, i] };
    };
    if (src.kind === 'table' && src.parent === parentLevel.dimension!.name) {
      // Each member names its parent: the hierarchy is a tree in the reference table.
      const parentByKey = new Map(parents.map((p) => [String(p.path[p.path.length - 1]), p]));
      rows.forEach((m, i) => {
        const parent = parentByKey.get(String(m.parent));
        if (parent) out.push(make(parent, m.key, m.label.it, i));
      });
      out.sort((a, b) => compareOrder(a.order, b.order));
    } else {
      // Independent levels (Anno > Trimestre): every member under every parent.
      for (const parent of parents) rows.forEach((m, i) => out.push(make(parent, m.key, m.label.it, i)));
    }
    return out;
  }

  async children(m: OlapMember): Promise<OlapMember[]> {
    const next = m.hierarchy.levels[m.depth + 1];
    if (!next) return [];
    const all = await this.levelMembers(next, m.hierarchy);
    return all.filter((c) => isPrefix(m.path, c.path));
  }

  async parent(m: OlapMember): Promise<OlapMember | undefined> {
    if (m.depth === 0) return undefined;
    if (m.depth === 1) return this.allMember(m.hierarchy);
    return this.find(m.hierarchy, m.depth - 1, m.path.slice(0, -1));
  }

  /** A member by level and keys: the full path, or only its own key when that is unique in the level. */
  async find(h: OlapHierarchy, depth: number, keys: readonly MemberKey[]): Promise<OlapMember | undefined> {
    if (depth === 0) return this.allMember(h);
    const level = h.levels[depth];
    await this.levelMembers(level, h);
    const index = this.byName.get(level.uniqueName)!;
    if (keys.length === depth) return index.get(pathKey(keys));
    if (keys.length === 1) {
      const found = [...index.values()].filter((m) => String(m.path[m.path.length - 1]) === String(keys[0]));
      return found.length === 1 ? found[0] : undefined;
    }
    return undefined;
  }

  /** All members of a hierarchy in natural (hierarchical) order, All first. */
  async hierarchyMembers(h: OlapHierarchy): Promise<OlapMember[]> {
    const lists = await Promise.all(h.levels.map((l) => this.levelMembers(l, h)));
    return lists.flat().sort((a, b) => compareOrder(a.order, b.order));
  }

  async childCount(m: OlapMember): Promise<number> {
    return (await this.children(m)).length;
  }
}

export function isPrefix(prefix: readonly MemberKey[], path: readonly MemberKey[]): boolean {
  return prefix.length <= path.length && prefix.every((k, i) => String(k) === String(path[i]));
}

/** Ancestor, self or descendant. */
export const related = (a: OlapMember, b: OlapMember): boolean => isPrefix(a.path, b.path) || isPrefix(b.path, a.path);

/** Parents before children, siblings in member order. */
export function compareOrder(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** The Measures hierarchy of a cube: one level, one member per measure. */
export function measuresHierarchy(cube: OlapCube): OlapHierarchy {
  const uniqueName = bracket(MEASURES);
  const level = { name: 'MeasuresLevel', uniqueName: `${uniqueName}.${bracket('MeasuresLevel')}`, caption: 'Misure', depth: 0 };
  return { name: MEASURES, uniqueName, caption: 'Misure', description: '', levels: [level], allUniqueName: measureUniqueName(cube.measures[0]) };
}

export function measureMembers(cube: OlapCube): OlapMember[] {
  const h = measuresHierarchy(cube);
  return cube.measures.map((m, i) => ({ hierarchy: h, depth: 0, path: [m.name], caption: m.label.it, uniqueName: measureUniqueName(m), order: [i], measure: m }));
}
