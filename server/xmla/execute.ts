/**
 * Execute: an MDX SELECT (with sub-selects and slicers) answered as MDDataSet
 * or Tabular, a $system DMV query answered as a rowset. Drill-through is
 * refused: no profile may see benefit records.
 */
import { computeCells } from './cells.ts';
import { visibleCubes, type OlapCube } from './catalog.ts';
import { rowsetRows, type DiscoverContext } from './discover.ts';
import { sliceOf } from './filters.ts';
import type { Expr, Select } from './mdx/ast.ts';
import { parseMdx } from './mdx/parser.ts';
import { writeMdDataSet, writeTabular, type AnswerAxis } from './mddataset.ts';
import { measureMembers, measuresHierarchy, MemberSource, type OlapMember, type Restriction } from './members.ts';
import { writeRowset } from './rowsets.ts';
import { MdxError, SetEvaluator, type Tuple } from './sets.ts';
import type { Filter } from '../plan/spec.ts';
import { el, EMPTY } from './xml.ts';

export interface ExecuteResult {
  xml: string;
  /** The REST specs the figures came from (audit log). */
  specs: unknown[];
}

export async function executeStatement(statement: string, properties: Record<string, string>, d: DiscoverContext): Promise<ExecuteResult> {
  if (!statement.trim()) return { xml: el('root', '', { xmlns: EMPTY }), specs: [] };
  if (/^\s*DRILLTHROUGH\b/i.test(statement))
    throw new MdxError('il drill-through (dettaglio dei record) non è consentito: nessun profilo può vedere i record individuali delle prestazioni, solo aggregati protetti');
  const st = parseMdx(statement);
  if (st.kind === 'dmv') {
    const { def, rows } = await rowsetRows(st.rowset, d, st.where);
    const columns = st.columns === '*' ? def.columns : st.columns.map((c) => def.columns.find((x) => x.name.toLowerCase() === c.toLowerCase()) ?? { name: c, type: 'string' as const });
    return { xml: writeRowset({ ...def, columns }, rows), specs: [] };
  }
  return executeSelect(st, properties, d);
}

function innermostCube(s: Select): { name: string; subselects: Select[] } {
  const subselects: Select[] = [];
  let from = s.from;
  while (from.kind === 'subselect') {
    subselects.unshift(from.select);
    from = from.select.from;
  }
  return { name: from.name, subselects };
}

async function executeSelect(st: Select, properties: Record<string, string>, d: DiscoverContext): Promise<ExecuteResult> {
  const { name, subselects } = innermostCube(st);
  const cube = visibleCubes(d.ctx.model, d.principal).find((c) => c.name.toLowerCase() === name.toLowerCase());
  if (!cube) throw new MdxError(`il cubo [${name}] non esiste o non è accessibile con questo profilo. Cubi: ${visibleCubes(d.ctx.model, d.principal).map((c) => `[${c.name}]`).join(', ')}`);

  // Sub-selects, innermost first: each restricts the data (filters) and the members the outer levels list.
  const filters: Filter[] = [];
  let restriction: Restriction = new Map();
  for (const sub of subselects) {
    const evaluator = new SetEvaluator(new MemberSource(d.ctx, cube, d.principal, restriction), new Map(), { lenient: true });
    const next = new Map(restriction);
    for (const axis of sub.axes) {
      const slice = sliceOf(await evaluator.set(axis.set), 'sotto-select');
      filters.push(...slice.filters);
      for (const [h, ms] of slice.members) if (!ms.some((m) => m.depth === 0)) next.set(h, ms);
    }
    if (sub.where) filters.push(...sliceOf(await evaluator.set(sub.where), 'WHERE della sotto-select').filters);
    restriction = next;
  }

  const source = new MemberSource(d.ctx, cube, d.principal, restriction);
  const named = new Map<string, Expr>(st.withSets.map((s) => [s.name, s.expr]));
  const evaluator = new SetEvaluator(source, named);
  const axes: AnswerAxis[] = [];
  for (const axis of st.axes) {
    const tuples = await evaluator.set(axis.set);
    axes.push({ tuples, hierarchies: (tuples[0] ?? []).map((m) => m.hierarchy), properties: axis.properties });
  }
  let slicerTuples: Tuple[] = [];
  if (st.where) slicerTuples = await new SetEvaluator(source, named, { lenient: true }).set(st.where);
  const slice = sliceOf(slicerTuples, 'WHERE');
  const onAxes = new Set(axes.flatMap((a) => a.hierarchies.map((h) => h.uniqueName)));
  for (const h of slice.members.keys()) if (onAxes.has(h)) throw new MdxError(`la gerarchia ${h} è sia su un asse sia nel WHERE`);

  const cells = await computeCells(d.ctx, d.principal, { cube, axes: axes.map((a) => a.tuples), filters: [...filters, ...slice.filters], measure: slice.measure });

  // NON EMPTY: drop the tuples whose cells are all empty (a protected cell is not empty: it shows its note).
  const kept = axes.map((a) => a.tuples.map(() => false));
  const sizes = axes.map((a) => a.tuples.length);
  const total = sizes.reduce((n, s) => n * s, 1);
  const coords = sizes.map(() => 0);
  for (let o = 0; o < total; o++) {
    if (cells.at(coords)) coords.forEach((c, k) => (kept[k][c] = true));
    for (let k = 0; k < coords.length; k++) {
      if (++coords[k] < sizes[k]) break;
      coords[k] = 0;
    }
  }
  const finalAxes: AnswerAxis[] = axes.map((a, k) => (st.axes[k].nonEmpty ? { ...a, tuples: a.tuples.filter((_, i) => kept[k][i]) } : a));
  const index = finalAxes.map((a, k) => a.tuples.map((t) => axes[k].tuples.indexOf(t)));

  const status = await d.ctx.dataStatus();
  const answer = {
    cubeName: cube.name,
    lastDataUpdate: status.sources[cube.cube.source] ?? '',
    axes: finalAxes,
    slicer: slicerMembers(cube, source, onAxes, slice.members, slice.measure),
    cellProperties: st.cellProperties ?? [],
    cell: (c: readonly number[]) => cells.at(c.map((x, k) => index[k][x])),
  };
  const xml = (properties.Format ?? '').toLowerCase() === 'tabular' ? writeTabular(answer) : await writeMdDataSet(answer, source);
  return { xml, specs: [...cells.specs] };
}

/** The slicer axis: every hierarchy not on an axis, at the slicer's member (when one) or its default. */
function slicerMembers(cube: OlapCube, source: MemberSource, onAxes: Set<string>, chosen: Map<string, OlapMember[]>, measure?: OlapMember): OlapMember[] {
  const out: OlapMember[] = [];
  const mh = measuresHierarchy(cube);
  if (!onAxes.has(mh.uniqueName)) out.push(measure ?? measureMembers(cube)[0]);
  for (const h of cube.hierarchies) {
    if (onAxes.has(h.uniqueName)) continue;
    const ms = chosen.get(h.uniqueName);
    out.push(ms && ms.length === 1 ? ms[0] : source.allMember(h));
  }
  return out;
}

