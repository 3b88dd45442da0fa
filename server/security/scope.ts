/**
 * The scope rewrite: plan in, plan out. Every aggregate plan of every query
 * (the main one and each cross-cube denominator) and every member list passes
 * through here before it is compiled: this is the single place where a
 * principal's profile and scope become mandatory predicates.
 *
 * Rules (seed 000, "Profili utente e accesso ai dati"):
 * - nazionale: everything;
 * - regionale / ats / comunale (ottica di bisogno): rows whose beneficiary
 *   resides in the territory; filters naming a territory outside it are refused;
 * - ente (ottica di erogazione): rows the provider delivered, wherever the
 *   beneficiary lives; cubes without a provider dimension (population) are seen
 *   for the territory of its legal seat;
 * - ancestor totals (Confronti): a territorial caller may ask for the total of
 *   its ATS, Regione or Italy (`benchmark`) when the cube allows it, never
 *   broken down by territory.
 */
import { AppError } from '../errors.ts';
import type { Cube, Dimension, Model } from '../model/types.ts';
import { mapExpressions, type AggregatePlan, type PredicateNode } from '../plan/plan.ts';
import type { QueryPlan } from '../plan/plan.ts';
import { findCube, keyExpr, memberPredicate } from '../plan/predicates.ts';
import type { Directory, Level, Place, Provider } from './directory.ts';
import { mayOpenLevel } from './levels.ts';
import type { Principal } from './principal.ts';

export type Scope =
  | { readonly kind: 'all' }
  | { readonly kind: 'territory'; readonly place: Place }
  | { readonly kind: 'provider'; readonly provider: Provider };

const PROFILE_LEVEL: Record<'regionale' | 'ats' | 'comunale', Level> = { regionale: 'regione', ats: 'ats', comunale: 'comune' };

/** What the principal may see; an unknown scope code is refused (a token for a territory that does not exist). */
export function resolveScope(principal: Principal, directory: Directory): Scope {
  if (principal.profile === 'nazionale') return { kind: 'all' };
  if (!principal.scope) throw new AppError('FORBIDDEN_SCOPE', `Il profilo ${principal.profile} richiede un ambito (codice del territorio o dell'ente).`);
  if (principal.profile === 'ente') {
    const provider = directory.provider(principal.scope);
    if (!provider) throw new AppError('FORBIDDEN_SCOPE', `L'ente erogatore "${principal.scope}" del profilo non esiste.`);
    return { kind: 'provider', provider };
  }
  const place = directory.find(PROFILE_LEVEL[principal.profile], principal.scope);
  if (!place) throw new AppError('FORBIDDEN_SCOPE', `Il territorio "${principal.scope}" del profilo ${principal.profile} non esiste.`);
  return { kind: 'territory', place };
}

export function describeScope(scope: Scope): string {
  if (scope.kind === 'all') return "tutto il territorio nazionale";
  if (scope.kind === 'provider') return `le prestazioni erogate da ${scope.provider.name} (${scope.provider.code})`;
  const of = { regione: 'della Regione', ats: "dell'ATS", comune: 'del Comune' }[scope.place.level];
  return `i residenti nel territorio ${of} ${scope.place.name} (${scope.place.code})`;
}

/** The access matrix: refuses a cube whose detail level is above the caller's profile. */
export function checkCubeAccess(cube: Cube, principal: Principal): void {
  if (!mayOpenLevel(principal.profile, cube.access.level))
    throw new AppError('FORBIDDEN_CUBE', `Il cubo "${cube.name}" è di livello ${cube.access.level}: il profilo ${principal.profile} apre solo cubi e report del proprio livello e di quelli inferiori.`);
}

export function secureQuery(plan: QueryPlan, principal: Principal, model: Model, directory: Directory): QueryPlan {
  checkCubeAccess(plan.cube, principal);
  for (const r of plan.crossRatios) checkCubeAccess(findCube(model, r.cube), principal);
  const scope = resolveScope(principal, directory);
  checkTerritoryFilters(plan, scope, directory);
  const effective = benchmarkScope(plan, scope, directory);
  return {
    ...plan,
    main: restrict(plan.main, plan.cube, effective),
    crossRatios: plan.crossRatios.map((r) => ({ ...r, plan: restrict(r.plan, findCube(model, r.cube), effective) })),
  };
}

/** The predicate that keeps a cube's rows inside a scope; `undefined` when nothing needs restricting. */
export function scopePredicate(cube: Cube, scope: Scope): PredicateNode | undefined {
  if (scope.kind === 'all') return undefined;
  if (scope.kind === 'provider' && cube.access.provider) return memberPredicate(cube.dimensions.get(cube.access.provider)!, 'in', [scope.provider.code]);
  const place = scope.kind === 'territory' ? scope.place : scope.provider.seat;
  if (!place) return undefined; // a national provider (INPS) compared with the whole country
  const dimName = cube.access.territory[place.level];
  if (!dimName)
    throw new AppError('FORBIDDEN_CUBE', `Il cubo "${cube.name}" non ha il livello territoriale "${place.level}" e non è quindi consultabile con questo profilo.`);
  return { kind: 'in', expr: keyExpr(cube.dimensions.get(dimName)!), values: [place.code], type: 'String', negate: false };
}

function restrict(plan: AggregatePlan, cube: Cube, scope: Scope): AggregatePlan {
  const predicate = scopePredicate(cube, scope);
  const resolved = resolveScopeRelative(plan, scope);
  return predicate ? { ...resolved, where: [predicate, ...resolved.where] } : resolved;
}

/** Dimensions relative to the caller's territory ("sede legale nel territorio / fuori") learn which territory that is. */
function resolveScopeRelative(plan: AggregatePlan, scope: Scope): AggregatePlan {
  const place = scope.kind === 'territory' ? scope.place : scope.kind === 'provider' ? scope.provider.seat : undefined;
  return mapExpressions(plan, (e) =>
    e.kind !== 'scope_relative' ? e : { ...e, scope: place ? { column: e.columns[place.level], code: place.code } : 'all' },
  );
}

/** Filters on territory levels must name existing places inside (or above) the caller's territory. */
function checkTerritoryFilters(plan: QueryPlan, scope: Scope, directory: Directory): void {
  const levelOf = new Map<string, Level>(Object.entries(plan.cube.access.territory).map(([level, dim]) => [dim!, level as Level]));
  for (const f of plan.spec.filters) {
    const level = levelOf.get(f.dimension);
    if (!level) continue;
    const values = 'values' in f ? f.values : [f.value];
    for (const v of values) {
      const place = directory.find(level, String(v));
      if (!place) throw new AppError('UNKNOWN_MEMBER', `"${v}" non è un codice di ${level} esistente (i codici sono quelli ISTAT, senza spazi; vedi /v1/cubes/${plan.cube.name}/dimensions/${f.dimension}/members).`);
      if (scope.kind !== 'territory' || f.op === 'not_in') continue;
      const inside = directory.contains(scope.place, place) || directory.contains(place, scope.place);
      if (!inside)
        throw new AppError('FORBIDDEN_SCOPE', `Il filtro ${f.dimension} = "${v}" (${place.name}) è fuori dall'ambito del profilo: si possono vedere solo ${describeScope(scope)}.`, { scope: scope.place.code });
    }
  }
}

/**
 * "May see aggregate of ancestor level": with `benchmark`, a territorial caller
 * sees the total of the territory above its own, only as totals (optionally
 * split by non-territorial dimensions), and only on cubes that allow it.
 */
function benchmarkScope(plan: QueryPlan, scope: Scope, directory: Directory): Scope {
  const level = plan.spec.benchmark;
  if (!level) return scope;
  const cube = plan.cube;
  if (!cube.access.ancestorTotals) throw new AppError('FORBIDDEN_CUBE', `Il cubo "${cube.name}" non consente totali di confronto (benchmark).`);
  const territorial = new Set(Object.values(cube.access.territory));
  const broken = [...plan.spec.rows, ...plan.spec.columns, ...plan.spec.filters.map((f) => f.dimension)].filter((d) => territorial.has(d));
  if (broken.length)
    throw new AppError('FORBIDDEN_SCOPE', `Un totale di confronto (benchmark "${level}") non può essere suddiviso o filtrato per territorio (${[...new Set(broken)].join(', ')}): si vede solo come totale, eventualmente per dimensioni non territoriali.`);
  if (scope.kind === 'all') {
    if (level === 'italia') return scope;
    throw new AppError('INVALID_REQUEST', `Il profilo nazionale ha come confronto solo "italia"; per una regione o un ATS usare un filtro.`);
  }
  if (scope.kind === 'provider') throw new AppError('FORBIDDEN_SCOPE', 'I totali di confronto sono disponibili ai profili territoriali, non agli enti erogatori.');
  if (level === 'italia') return { kind: 'all' };
  const ancestor = directory.ancestor(scope.place, level === 'regione' ? 'regione' : 'ats');
  if (!ancestor) throw new AppError('INVALID_REQUEST', `"${level}" non è un livello superiore a quello del profilo (${scope.place.level}).`);
  return { kind: 'territory', place: ancestor };
}

/**
 * The restriction on a member list. For territory levels it restricts the member
 * table (whose columns are named like the level key columns); for the provider
 * dimension of an Ente profile it keeps only the Ente itself.
 */
export function memberScope(cube: Cube, dim: Dimension, principal: Principal, directory: Directory): PredicateNode | undefined {
  checkCubeAccess(cube, principal);
  const scope = resolveScope(principal, directory);
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
  if (dim.members.kind !== 'table') throw new Error(`dimension ${dim.name} has no member table`);
  return dim.members.key;
}

/**
 * The ATS whose PON sheet a caller may compute: an ATS user its own; a
 * Regione an ATS of its region; Nazionale any ATS. Comuni and providers do
 * not file the sheet. Microdata (drill-through to member ids) only for the
 * ATS itself.
 */
export function ponAts(principal: Principal, requested: string | undefined, directory: Directory, microdata = false): string {
  const scope = resolveScope(principal, directory);
  if (microdata && principal.profile !== 'ats')
    throw new AppError('FORBIDDEN_SCOPE', "Il dettaglio dei componenti (microdati pseudonimizzati) è riservato all'utente dell'ATS titolare del progetto.");
  if (scope.kind === 'provider' || (scope.kind === 'territory' && scope.place.level === 'comune'))
    throw new AppError('FORBIDDEN_SCOPE', `La scheda di monitoraggio PON è compilata dagli ATS: il profilo ${principal.profile} non può consultarla.`);
  const code = requested ?? (scope.kind === 'territory' && scope.place.level === 'ats' ? scope.place.code : undefined);
  if (!code) throw new AppError('INVALID_REQUEST', 'Indicare il codice dell\'ATS ("ats").');
  const place = directory.find('ats', code);
  if (!place) throw new AppError('UNKNOWN_MEMBER', `"${code}" non è un codice di ATS esistente.`);
  if (scope.kind === 'territory' && !directory.contains(scope.place, place))
    throw new AppError('FORBIDDEN_SCOPE', `L'ATS ${place.name} (${code}) è fuori dall'ambito del profilo: si possono vedere solo ${describeScope(scope)}.`);
  return code;
}
