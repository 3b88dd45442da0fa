/**
 * The OLAP view of the cube model that XMLA clients see: one catalog, the
 * cubes the principal may open, each cube's hierarchies (a declared hierarchy
 * such as territorio, or a dimension on its own) with an All level, and its
 * measures. Names are the model's; captions its Italian labels.
 */
import type { Cube, Dimension, Measure, MemberKey, Model } from '../model/types.ts';
import type { Format } from '../plan/result.ts';
import type { Principal } from '../security/principal.ts';
import { readableCubes } from '../security/access.ts';

export const CATALOG = 'PAS';
export const MEASURES = 'Measures';

export interface OlapLevel {
  readonly name: string;
  readonly uniqueName: string;
  readonly caption: string;
  /** 0 is the All level. */
  readonly depth: number;
  /** The model dimension of the level (none for All). */
  readonly dimension?: Dimension;
}

export interface OlapHierarchy {
  readonly name: string;
  readonly uniqueName: string;
  readonly caption: string;
  readonly description: string;
  /** All level first. */
  readonly levels: readonly OlapLevel[];
  readonly allUniqueName: string;
}

export interface OlapCube {
  readonly name: string;
  readonly caption: string;
  readonly description: string;
  readonly cube: Cube;
  readonly hierarchies: readonly OlapHierarchy[];
  readonly measures: readonly Measure[];
}

/** A bracketed MDX name part: `]` doubled. */
export const bracket = (name: string): string => `[${name.replaceAll(']', ']]')}]`;

export function memberUniqueName(h: OlapHierarchy, depth: number, path: readonly MemberKey[]): string {
  if (depth === 0) return h.allUniqueName;
  return `${h.levels[depth].uniqueName}.${path.map((k) => `&${bracket(String(k))}`).join('')}`;
}

export const measureUniqueName = (m: Measure): string => `${bracket(MEASURES)}.${bracket(m.name)}`;

function hierarchy(name: string, caption: string, description: string, dims: readonly Dimension[]): OlapHierarchy {
  const uniqueName = `${bracket(name)}.${bracket(name)}`;
  const levels: OlapLevel[] = [
    { name: '(All)', uniqueName: `${uniqueName}.${bracket('(All)')}`, caption: '(All)', depth: 0 },
    ...dims.map((d, i) => ({ name: d.name, uniqueName: `${uniqueName}.${bracket(d.name)}`, caption: d.label.it, depth: i + 1, dimension: d })),
  ];
  return { name, uniqueName, caption, description, levels, allUniqueName: `${uniqueName}.${bracket('All')}` };
}

export function olapCube(cube: Cube): OlapCube {
  const hierarchies: OlapHierarchy[] = [];
  for (const h of cube.hierarchies.values()) hierarchies.push(hierarchy(h.name, h.label.it, '', h.levels.map((l) => cube.dimensions.get(l)!)));
  for (const d of cube.dimensions.values()) if (!d.hierarchy) hierarchies.push(hierarchy(d.name, d.label.it, d.description ?? '', [d]));
  return { name: cube.name, caption: cube.label.it, description: cube.description?.trim() ?? '', cube, hierarchies, measures: [...cube.measures.values()] };
}

/** The cubes this principal may open, in model order: the cubes REST lists to it. */
export function visibleCubes(model: Model, principal: Principal): OlapCube[] {
  return readableCubes(model, principal).map(olapCube);
}

/** Excel format strings (applied by Excel in the user's locale) per measure format. */
export const FORMAT_STRING: Record<Exclude<Format, 'text'>, string> = {
  euro: '#,##0.00 €',
  integer: '#,##0',
  decimal: '#,##0.00',
  percent: '0.0%',
};

const it = (digits: number) => new Intl.NumberFormat('it-IT', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const FORMATTERS: Record<Exclude<Format, 'text'>, (n: number) => string> = {
  euro: (n) => `${it(2).format(n)} €`,
  integer: (n) => it(0).format(n),
  decimal: (n) => it(2).format(n),
  percent: (n) => `${it(1).format(n * 100)}%`,
};

export const formatValue = (format: Exclude<Format, 'text'>, n: number): string => FORMATTERS[format](n);

/** Display folder of a measure in Excel's field list: what it counts. */
export function displayFolder(m: Measure): string {
  if (m.kind === 'ratio') return 'Indicatori';
  if (m.format === 'euro') return 'Importi';
  return 'Conteggi';
}
