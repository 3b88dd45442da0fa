/**
 * Confronti (benchmarks): the total of the territory above the caller's own
 * (its ATS, Regione or Italia). Two rules keep a benchmark from showing
 * another territory's own figures:
 * - it may be broken down or filtered only by the dimensions the cube declares
 *   safe for benchmarks, never by a territorial one (territory levels, ente
 *   erogatore, relative_to_scope, `territorial: true`);
 * - every cell must gather at least k territorial units (comuni) outside the
 *   caller's own territory; a cell below k is suppressed (`"suppressed": "territory"`).
 *   The engine lists each cell's units in the same query as a hidden measure
 *   (`groupUniqArray`), and the units of the caller's own territory are taken
 *   out here: so the engine's work does not depend on who asks, and every ATS
 *   of a Regione shares one computation of the Regione's and Italy's totals.
 */
import { AppError } from '../errors.ts';
import type { Cube } from '../model/types.ts';
import type { PlanMeasure, QueryPlan } from '../plan/plan.ts';
import { keyExpr } from '../plan/predicates.ts';
import type { ResultRow } from '../plan/result.ts';
import type { Directory } from './directory.ts';
import { LEVELS } from './profiles.ts';
import { territoryDimension, type Scope } from './scope.ts';

/** Hidden measure: the distinct territorial units of a cell (their codes). */
export const UNITS = '__unita';

export interface Benchmark {
  /** The scope the plan is restricted to: the ancestor's territory (or all of Italy). */
  readonly scope: Scope;
  /**
   * Present when cells must be checked: the hidden measure to add, the minimum number of units
   * outside the caller's territory, and the units of that territory (not counted).
   */
  readonly units?: { readonly measure: PlanMeasure; readonly minUnits: number; readonly own: readonly string[] };
}

/** The scope a query reads once its `benchmark` is applied, or a refusal saying why. */
export function benchmarkOf(plan: QueryPlan, scope: Scope, directory: Directory): Benchmark {
  const level = plan.spec.benchmark;
  if (!level) return { scope };
  const cube = plan.cube;
  const rule = cube.access.benchmark;
  if (!rule) throw new AppError('FORBIDDEN_CUBE', `Il cubo "${cube.name}" non consente totali di confronto (benchmark).`);
  checkDimensions(plan, level, cube, rule.dimensions);
  if (scope.kind === 'all') {
    if (level === 'italia') return { scope };
    throw new AppError('INVALID_REQUEST', `Il profilo nazionale ha come confronto solo "italia"; per una regione o un ATS usare un filtro.`);
  }
  if (scope.kind === 'provider') throw new AppError('FORBIDDEN_SCOPE', 'I totali di confronto sono disponibili ai profili territoriali, non agli enti erogatori.');
  const ancestor = level === 'italia' ? undefined : directory.ancestor(scope.place, level === 'regione' ? 'regione' : 'ats');
  if (level !== 'italia' && !ancestor) throw new AppError('INVALID_REQUEST', `"${level}" non è un livello superiore a quello del profilo (${scope.place.level}).`);
  const unit = finestLevel(cube);
  const measure: PlanMeasure = { name: UNITS, aggregate: 'groupUniqArray', arg: keyExpr(cube.dimensions.get(cube.access.territory[unit]!)!) };
  // The cube must have the caller's own level, as for its scope; the caller's units are taken out of each cell.
  territoryDimension(cube, scope.place.level);
  const own = directory.within(scope.place, unit);
  return { scope: ancestor ? { kind: 'territory', place: ancestor } : { kind: 'all' }, units: { measure, minUnits: rule.minUnits, own } };
}

function checkDimensions(plan: QueryPlan, level: string, cube: Cube, safe: readonly string[]): void {
  const used = [...new Set([...plan.spec.rows, ...plan.spec.columns, ...plan.spec.filters.map((f) => f.dimension)])];
  const territorial = used.filter((d) => cube.dimensions.get(d)?.territorial);
  if (territorial.length)
    throw new AppError('FORBIDDEN_SCOPE', `Un totale di confronto (benchmark "${level}") non può essere suddiviso o filtrato per territorio né per dimensioni che individuano territori o enti (${territorial.join(', ')}): si vede solo come totale, eventualmente per ${listOf(safe)}.`);
  const unsafe = used.filter((d) => !safe.includes(d));
  if (unsafe.length)
    throw new AppError('FORBIDDEN_SCOPE', `Un totale di confronto (benchmark "${level}") del cubo "${cube.name}" si può suddividere o filtrare solo per ${listOf(safe)}; non per ${unsafe.join(', ')}.`, { allowed: [...safe] });
}

const listOf = (dims: readonly string[]) => (dims.length ? `le dimensioni ${dims.join(', ')}` : 'nessuna dimensione (solo il totale)');

/** The territorial unit counted per cell: the cube's finest territory level (comune). */
function finestLevel(cube: Cube) {
  const unit = [...LEVELS].reverse().find((l) => cube.access.territory[l]);
  if (!unit) throw new AppError('FORBIDDEN_CUBE', `Il cubo "${cube.name}" non ha dimensioni territoriali: non consente totali di confronto.`);
  return unit;
}

/** Suppresses in place the cells gathering fewer than `minUnits` units outside `own`; removes the hidden list. Returns how many were suppressed. */
export function suppressThinCells(rows: ResultRow[], measures: readonly string[], minUnits: number, own: readonly string[]): number {
  const mine = new Set(own);
  const outside = (units: unknown) => (Array.isArray(units) ? units.filter((u) => !mine.has(String(u))).length : 0);
  let n = 0;
  for (const r of rows) {
    if (outside(r[UNITS]) < minUnits && r.suppressed === undefined) {
      for (const m of measures) r[m] = null;
      r.suppressed = 'territory';
      n++;
    }
    delete r[UNITS];
  }
  return n;
}
