/**
 * The figures of an MDX answer, from the server's query path only: the cells
 * of the axes are grouped by the levels they need, each grouping is asked of
 * `runQuery` (scope, benchmarks and disclosure exactly as REST), and the All
 * members and subtotals are the engine's GROUPING SETS rows (totals and
 * subtotals of the spec), never sums made here.
 */
import { AppError } from '../errors.ts';
import type { Measure } from '../model/types.ts';
import { runQuery, type QueryContext } from '../query/execute.ts';
import { groupingSetsFor } from '../query/planner.ts';
import type { QueryResult, ResultRow } from '../plan/result.ts';
import { MAX_LIMIT, QuerySpecSchema, type Filter, type QuerySpec } from '../plan/spec.ts';
import type { Principal } from '../security/principal.ts';
import type { OlapCube, OlapHierarchy } from './catalog.ts';
import type { OlapMember } from './members.ts';
import { MdxError, type Tuple } from './sets.ts';

export interface CellValue {
  readonly measure: Measure;
  /** null: suppressed by disclosure control (see `suppressed`). */
  readonly value: number | null;
  readonly suppressed?: ResultRow['suppressed'];
}

export interface CellQuery {
  readonly cube: OlapCube;
  readonly axes: readonly (readonly Tuple[])[];
  readonly filters: readonly Filter[];
  /** The slicer's measure, if any. */
  readonly measure?: OlapMember;
}

export interface Cells {
  /** The cell at these axis positions; undefined when empty. */
  at(coords: readonly number[]): CellValue | undefined;
  /** The REST query specs that produced the figures (for the audit log and the tests). */
  readonly specs: readonly QuerySpec[];
  readonly results: readonly QueryResult[];
}

export const MAX_CELLS = 1_000_000;
const MAX_COLUMN_DIMS = 4;

const groupId = (dims: readonly string[]) => [...dims].sort().join(',');

export async function computeCells(ctx: QueryContext, principal: Principal, q: CellQuery): Promise<Cells> {
  const size = q.axes.reduce((n, a) => n * a.length, 1);
  if (size > MAX_CELLS)
    throw new MdxError(`la query chiede ${size.toLocaleString('it-IT')} celle, oltre il limite di ${MAX_CELLS.toLocaleString('it-IT')}: filtrare o togliere un campo dalla tabella pivot`);
  const hierarchiesOf = (axis: readonly Tuple[]) => (axis[0] ?? []).filter((m) => !m.measure).map((m) => m.hierarchy);
  const seen = new Set<string>();
  for (const axis of q.axes)
    for (const h of hierarchiesOf(axis)) {
      if (seen.has(h.uniqueName)) throw new MdxError(`la gerarchia ${h.uniqueName} compare su due assi`);
      seen.add(h.uniqueName);
    }

  const maxDepth = new Map<string, number>();
  for (const axis of q.axes) for (const t of axis) for (const m of t) if (!m.measure) maxDepth.set(m.hierarchy.uniqueName, Math.max(maxDepth.get(m.hierarchy.uniqueName) ?? 0, m.depth));
  const levelDims = (h: OlapHierarchy, depth: number) => h.levels.slice(1, depth + 1).map((l) => l.dimension!.name);
  const dimsOfAxes = (axes: readonly (readonly Tuple[])[]) => axes.flatMap((a) => hierarchiesOf(a).flatMap((h) => levelDims(h, maxDepth.get(h.uniqueName) ?? 0)));
  let columns = dimsOfAxes(q.axes.slice(0, 1));
  let rows = dimsOfAxes(q.axes.slice(1));
  if (columns.length > MAX_COLUMN_DIMS) [rows, columns] = [[...columns, ...rows], []];

  const defaultMeasure = q.cube.measures[0];
  const measureOf = (members: readonly OlapMember[]): Measure => members.find((m) => m.measure)?.measure ?? q.measure?.measure ?? defaultMeasure;
  const measures = new Set<string>([measureOf([]).name]);
  for (const axis of q.axes) for (const t of axis) for (const m of t) if (m.measure) measures.add(m.measure.name);

  // The groupings the cells need: one per combination of member depths.
  const depthVectors = q.axes.map((axis) => {
    const vectors = new Map<string, OlapMember[]>();
    for (const t of axis) {
      const key = t.map((m) => (m.measure ? '' : `${m.hierarchy.uniqueName}@${m.depth}`)).join('|');
      if (!vectors.has(key)) vectors.set(key, [...t]);
    }
    return [...vectors.values()];
  });
  const groupings = new Map<string, string[]>();
  const combine = (i: number, acc: OlapMember[]) => {
    if (i === depthVectors.length) {
      const dims = acc.filter((m) => !m.measure).flatMap((m) => levelDims(m.hierarchy, m.depth));
      groupings.set(groupId(dims), dims);
      return;
    }
    for (const v of depthVectors[i]) combine(i + 1, [...acc, ...v]);
  };
  combine(0, []);

  const specs = planSpecs(rows, columns, [...groupings.values()], [...measures], q.filters);
  const results: QueryResult[] = [];
  const index = new Map<string, ResultRow>();
  for (const spec of specs) {
    const result = await runQuery(ctx, q.cube.name, spec, principal);
    if (result.truncated) throw new MdxError(`la risposta supera ${MAX_LIMIT.toLocaleString('it-IT')} righe: filtrare la tabella pivot (ad esempio per regione o anno)`);
    results.push(result);
    const all = [...spec.rows, ...spec.columns];
    for (const row of result.rows) {
      const dims = all.filter((d) => !row.rollup?.includes(d)).sort();
      index.set(`${dims.join(',')}|${JSON.stringify(dims.map((d) => String(row[d])))}`, row);
    }
  }

  return {
    specs,
    results,
    at(coords) {
      const members = coords.flatMap((c, a) => q.axes[a][c]);
      const measure = measureOf(members);
      const entries: [string, string][] = [];
      for (const m of members) if (!m.measure) levelDims(m.hierarchy, m.depth).forEach((d, i) => entries.push([d, String(m.path[i])]));
      entries.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
      const row = index.get(`${entries.map((e) => e[0]).join(',')}|${JSON.stringify(entries.map((e) => e[1]))}`);
      if (!row) return undefined;
      if (row.suppressed) return { measure, value: null, suppressed: row.suppressed };
      const v = row[measure.name];
      return typeof v === 'number' ? { measure, value: v } : undefined;
    },
  };
}

/**
 * The REST specs that answer these groupings: the pivot's own (detail, with
 * totals and subtotals when the axes show All members or parents), then one
 * spec per grouping its GROUPING SETS do not cover.
 */
export function planSpecs(rows: string[], columns: string[], groupings: readonly string[][], measures: string[], filters: readonly Filter[]): QuerySpec[] {
  const make = (r: string[], c: string[], totals: boolean, subtotals: boolean): QuerySpec => {
    const parsed = QuerySpecSchema.safeParse({ measures, rows: r, columns: c, filters, totals, subtotals, limit: MAX_LIMIT });
    if (!parsed.success) throw new AppError('INVALID_REQUEST', `La tabella pivot non è traducibile in una query del server: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return parsed.data;
  };
  const wanted = new Map(groupings.map((g) => [groupId(g), g]));
  const rowSet = new Set(rows);
  const rowCount = (g: readonly string[]) => g.filter((d) => rowSet.has(d)).length;
  // Totals: column totals or the grand total; subtotals: partial row groupings.
  const needsTotals = groupings.some((g) => g.length - rowCount(g) < columns.length || (rows.length > 0 && rowCount(g) === 0));
  const needsSubtotals = groupings.some((g) => rowCount(g) > 0 && rowCount(g) < rows.length);
  const main = make(rows, columns, needsTotals, needsSubtotals);
  const covered = new Set((groupingSetsFor(main) ?? [[...rows, ...columns]]).map(groupId));
  const specs = [main];
  for (const [id, g] of wanted)
    if (!covered.has(id)) specs.push(make(rows.filter((d) => g.includes(d)), columns.filter((d) => g.includes(d)), false, false));
  return specs;
}
