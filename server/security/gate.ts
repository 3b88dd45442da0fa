/**
 * The security gate: every plan that reads data passes here before it is
 * compiled, and this is the only place that decides access. For a query it
 * decides which cubes the principal may read, the scope predicate, whether a
 * benchmark is allowed and how it may be broken down, and the disclosure
 * policy; execution only applies what the secured plan says. Member lists
 * pass `secureMembers`, reports `reports.ts` (which only builds query specs
 * that come back here), PON microdata `securePon`; the system's own reads of
 * reference data are marked by `systemRead`.
 */
import { AppError, invariant } from '../errors.ts';
import type { Cube, Dimension, Disclosure, Model } from '../model/types.ts';
import type { AggregatePlan, PredicateNode, QueryPlan } from '../plan/plan.ts';
import { findCube } from '../plan/predicates.ts';
import type { ResultRow } from '../plan/result.ts';
import type { GatedSelect, SelectPlan } from '../plan/select.ts';
import { checkCubeAccess } from './access.ts';
import { benchmarkOf, suppressThinCells } from './benchmark.ts';
import type { Directory } from './directory.ts';
import { cellKeySecret, perturb, withCellKeys } from './disclosure.ts';
import type { Principal } from './principal.ts';
import { checkTerritoryFilters, ponAts, resolveScope, restrict, scopePredicate } from './scope.ts';

export interface GateContext {
  readonly model: Model;
  readonly directory: Directory;
  /** Deployment setting, off by default: the Nazionale profile sees small cells unsuppressed. */
  readonly nationalExemptFromDisclosure?: boolean;
  /** The installation's secret of the cell key method (needed by every plan the rule applies to). */
  readonly cellKeySecret?: string;
}

/** What disclosure control the answer to a secured plan gets. */
export interface DisclosurePolicy {
  /** The cube's small-count rule; absent for data that are not about persons. */
  readonly rule?: Disclosure;
  /** True when the rule is not applied to this principal (Nazionale with DISCLOSURE_NATIONAL_EXEMPT=true). */
  readonly exempt: boolean;
  /** Benchmarks: cells gathering fewer than `minUnits` comuni outside the caller's own territory are suppressed. */
  readonly territory?: { readonly minUnits: number; readonly own: readonly string[] };
}

export interface SecuredPlan extends QueryPlan {
  readonly disclosure: DisclosurePolicy;
}

/** Plan in, secured plan out (or an AppError saying what the principal may do instead). */
export function secure(plan: QueryPlan, principal: Principal, ctx: GateContext): SecuredPlan {
  checkCubeAccess(plan.cube, principal);
  const others = plan.crossRatios.map((r) => findCube(ctx.model, r.cube));
  for (const cube of others) checkCubeAccess(cube, principal);
  const scope = resolveScope(principal, ctx.directory);
  checkTerritoryFilters(plan.cube, plan.spec.filters, scope, ctx.directory);
  const benchmark = benchmarkOf(plan, scope, ctx.directory);
  const rule = plan.cube.disclosure;
  const exempt = Boolean(rule && ctx.nationalExemptFromDisclosure && principal.profile === 'nazionale');
  let main = restrict(plan.main, plan.cube, benchmark.scope);
  if (rule && !exempt) {
    invariant(ctx.cellKeySecret, 'the cell key secret is missing from the query context');
    main = withCellKeys(main, rule, cellKeySecret(ctx.cellKeySecret));
  }
  if (benchmark.units) main = { ...main, measures: [...main.measures, benchmark.units.measure] };
  return {
    ...plan,
    main,
    crossRatios: plan.crossRatios.map((r, i) => ({ ...r, plan: restrict(r.plan, others[i], benchmark.scope) })),
    disclosure: { rule, exempt, ...(benchmark.units ? { territory: { minUnits: benchmark.units.minUnits, own: benchmark.units.own } } : {}) },
  };
}

/** Whether the cell key method applies (ordering and paging come after it). */
export const appliesRule = (policy: DisclosurePolicy): boolean => policy.rule !== undefined && !policy.exempt;

export interface SuppressionReport {
  threshold: number;
  primary: number;
  secondary: number;
  /** Benchmark cells gathering too few territorial units. */
  territory?: { minUnits: number; cells: number };
}

/**
 * Applies the policy of a secured plan to its rows: benchmark cells with too few territorial units
 * lose their measures, then the cell key method publishes the rest (cells published as 0 persons
 * are left out). Removes the hidden measures.
 */
export function applyDisclosure(rows: ResultRow[], plan: AggregatePlan, measures: readonly string[], policy: DisclosurePolicy): { rows: ResultRow[]; suppression?: SuppressionReport } {
  // Hidden measures (keys, person counts) stay for the perturbation, which removes them.
  if (policy.territory) suppressThinCells(rows, measures.filter((m) => !m.startsWith('__')), policy.territory.minUnits, policy.territory.own);
  const published = appliesRule(policy) ? perturb(rows, plan, policy.rule!) : rows;
  // Counted on the published rows: a cell left out is not reported.
  const cells = published.filter((r) => r.suppressed === 'territory').length;
  return { rows: published, ...(policy.territory ? { suppression: { threshold: 0, primary: 0, secondary: 0, territory: { minUnits: policy.territory.minUnits, cells } } } : {}) };
}

/**
 * A member list: `plan` reads either the cube's fact table (values seen in the
 * data) or the dimension's member table; the gate checks the cube and adds the
 * scope restriction.
 */
export function secureMembers(plan: AggregatePlan, cube: Cube, dim: Dimension, principal: Principal, ctx: GateContext): AggregatePlan;
/** Members the model lists (bands, inline lists): only the cube is checked. */
export function secureMembers(plan: undefined, cube: Cube, dim: Dimension, principal: Principal, ctx: GateContext): undefined;
export function secureMembers(plan: AggregatePlan | undefined, cube: Cube, dim: Dimension, principal: Principal, ctx: GateContext): AggregatePlan | undefined {
  checkCubeAccess(cube, principal);
  const scope = resolveScope(principal, ctx.directory);
  if (!plan) return undefined;
  if (plan.table === cube.table) return restrict(plan, cube, scope);
  const predicate = memberTableScope(cube, dim, scope);
  return predicate ? { ...plan, where: [predicate, ...plan.where] } : plan;
}

/** A plan over a cube's own rows that is not an answer (e.g. the row count a cost estimate needs): cube access and the scope predicate. */
export function secureScan(plan: AggregatePlan, cube: Cube, principal: Principal, ctx: GateContext): AggregatePlan {
  checkCubeAccess(cube, principal);
  return restrict(plan, cube, resolveScope(principal, ctx.directory));
}

/**
 * The same scan for every scope of the caller's kind at once, and the caller's own group: the plan
 * grouped by the key its scope predicate tests (the ATS code for an ATS user…) instead of restricted
 * to one value. For counts that are not an answer (a cost estimate's statistics: one engine query
 * for all the ATS instead of one per ATS); whoever reads the rows reads only the group `key`.
 * `undefined` when the scope is not one key (Nazionale: restrict nothing; use `secureScan`).
 */
export function secureScanPerScope(plan: AggregatePlan, cube: Cube, principal: Principal, ctx: GateContext): { plan: AggregatePlan; key: string } | undefined {
  checkCubeAccess(cube, principal);
  const predicate = scopePredicate(cube, resolveScope(principal, ctx.directory));
  if (predicate?.kind !== 'in' || predicate.negate || predicate.values.length !== 1) return undefined;
  const group = { name: SCOPE_GROUP, axis: 'rows' as const, expr: predicate.expr, sortExpr: predicate.expr };
  return { plan: { ...plan, dimensions: [group, ...plan.dimensions] }, key: String(predicate.values[0]) };
}

/** The dimension a per-scope scan is grouped by (`secureScanPerScope`). */
export const SCOPE_GROUP = '__scope';

/**
 * PON microdata: plans over the PON tables (each has an `ats` column). The
 * principal must be allowed the ATS asked for (its own by default; the
 * drill-through to member ids only for the ATS itself), and each plan is
 * scoped to that one ATS.
 */
export function securePon<K extends string>(plans: Readonly<Record<K, SelectPlan>>, requested: string | undefined, principal: Principal, ctx: GateContext, microdata: boolean): { ats: string; plans: Record<K, GatedSelect> } {
  const ats = ponAts(principal, requested, ctx.directory, microdata);
  const only: PredicateNode = { kind: 'in', expr: { kind: 'column', column: 'ats' }, values: [ats], type: 'String', negate: false };
  const scoped = (p: SelectPlan): GatedSelect => ({ ...p, where: [only, ...p.where], reader: 'principal' });
  return { ats, plans: Object.fromEntries((Object.entries(plans) as [K, SelectPlan][]).map(([k, p]) => [k, scoped(p)])) as Record<K, GatedSelect> };
}

/**
 * A read the system does for itself, on nobody's behalf, of data that are not
 * about persons: the reference tables behind the territory directory, member
 * labels and the demo users printed at start, and the catalog of tables for
 * the admin status. No principal, so no scope; test/gate-invariants.test.ts
 * lists the files allowed to call it.
 */
export function systemRead(plan: SelectPlan): GatedSelect {
  return { ...plan, reader: 'system' };
}

/**
 * The restriction on a member table. For territory levels it keeps the members
 * inside the caller's territory (member tables name their columns like the
 * level keys); for the provider dimension of an Ente profile only the Ente.
 */
function memberTableScope(cube: Cube, dim: Dimension, scope: ReturnType<typeof resolveScope>): PredicateNode | undefined {
  if (scope.kind === 'all') return undefined;
  if (scope.kind === 'provider') {
    if (dim.name !== cube.access.provider) return undefined;
    return { kind: 'in', expr: { kind: 'column', column: tableKey(dim) }, values: [scope.provider.code], type: 'String', negate: false };
  }
  const isTerritory = Object.values(cube.access.territory).includes(dim.name);
  if (!isTerritory) return undefined;
  const scopeDim = cube.dimensions.get(cube.access.territory[scope.place.level]!);
  if (!scopeDim) throw new AppError('FORBIDDEN_CUBE', `Il cubo "${cube.name}" non ha il livello territoriale "${scope.place.level}".`);
  return { kind: 'in', expr: { kind: 'column', column: tableKey(scopeDim) }, values: [scope.place.code], type: 'String', negate: false };
}

function tableKey(dim: Dimension): string {
  invariant(dim.members.kind === 'table', `dimension ${dim.name} has no member table`);
  return dim.members.key;
}
