/**
 * Slicer (WHERE) and sub-select members -> filters of the query spec. A set
 * of members of one hierarchy becomes `in` filters on its levels; the
 * security gate then refuses any filter outside the caller's scope, exactly
 * as for REST.
 */
import type { MemberKey } from '../model/types.ts';
import type { Filter } from '../plan/spec.ts';
import type { OlapHierarchy } from './catalog.ts';
import type { OlapMember } from './members.ts';
import { MdxError, type Tuple } from './sets.ts';

/** The measure and the filters a slicer or sub-select set stands for. */
export interface Slice {
  filters: Filter[];
  measure?: OlapMember;
  /** Members kept per hierarchy (sub-selects restrict the members the axes list). */
  members: Map<string, OlapMember[]>;
}

export function sliceOf(tuples: readonly Tuple[], what: string): Slice {
  const byHierarchy = new Map<string, { h: OlapHierarchy; members: OlapMember[] }>();
  let measure: OlapMember | undefined;
  const measures = new Set<string>();
  for (const t of tuples)
    for (const m of t) {
      if (m.measure) {
        measures.add(m.uniqueName);
        measure = m;
        continue;
      }
      const entry = byHierarchy.get(m.hierarchy.uniqueName) ?? { h: m.hierarchy, members: [] };
      if (!entry.members.some((x) => x.uniqueName === m.uniqueName)) entry.members.push(m);
      byHierarchy.set(m.hierarchy.uniqueName, entry);
    }
  if (measures.size > 1) throw new MdxError(`${what}: più misure insieme non sono supportate (usare una misura per volta, o metterle su un asse)`);
  // A set of tuples over several hierarchies must be their full cross product to be a conjunction of filters.
  const product = [...byHierarchy.values()].reduce((n, e) => n * e.members.length, 1);
  const distinct = new Set(tuples.map((t) => t.filter((m) => !m.measure).map((m) => m.uniqueName).join('\u0000'))).size;
  if (tuples.length && byHierarchy.size > 1 && distinct !== product)
    throw new MdxError(`${what}: una selezione che combina membri di gerarchie diverse si può esprimere solo come prodotto (CrossJoin) dei membri scelti in ogni gerarchia`);
  const filters: Filter[] = [];
  const members = new Map<string, OlapMember[]>();
  for (const { h, members: ms } of byHierarchy.values()) {
    members.set(h.uniqueName, ms);
    filters.push(...hierarchyFilters(h, ms, what));
  }
  return { filters, measure, members };
}

function hierarchyFilters(h: OlapHierarchy, ms: readonly OlapMember[], what: string): Filter[] {
  if (ms.some((m) => m.depth === 0)) return []; // All: no restriction
  const depth = ms[0].depth;
  if (ms.some((m) => m.depth !== depth))
    throw new MdxError(`${what}: i membri scelti di ${h.uniqueName} devono essere dello stesso livello (ad esempio tutte regioni o tutti comuni)`);
  // Levels to filter: the members' own, and each ancestor level the one below it does not determine (Anno above Trimestre).
  const levels = [depth];
  for (let d = depth - 1; d >= 1; d--) {
    const below = h.levels[d + 1].dimension!;
    const determined = below.members.kind === 'table' && below.members.parent === h.levels[d].dimension!.name;
    if (!determined) levels.push(d);
    else break;
  }
  const keysAt = (d: number) => [...new Map(ms.map((m) => [String(m.path[d - 1]), m.path[d - 1]])).values()];
  for (const d of levels)
    if (keysAt(d).some((k) => k === undefined)) throw new MdxError(`${what}: indicare il membro con il percorso completo di chiavi (es. ${h.levels[depth].uniqueName}.&[…]&[…])`);
  const combos = new Set(ms.map((m) => levels.map((d) => String(m.path[d - 1])).join('\u0000'))).size;
  if (combos !== levels.reduce((n, d) => n * keysAt(d).length, 1))
    throw new MdxError(`${what}: la selezione di ${h.uniqueName} non è esprimibile come filtro su ciascun livello (ad esempio trimestri diversi in anni diversi): selezionare gli stessi membri in ogni ramo`);
  return levels.map((d) => {
    const dimension = h.levels[d].dimension!.name;
    const values = keysAt(d) as MemberKey[];
    return values.length === 1 ? { dimension, op: 'eq', value: values[0] } : { dimension, op: 'in', values };
  });
}
