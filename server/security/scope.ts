/**
 * Scopes and the predicates that enforce them: who the principal is bound to
 * (a territory, a provider, or all of Italy) and the mandatory predicate that
 * keeps a cube's rows inside it. Used only by the gate (gate.ts).
 *
 * Rules (seed 000, "Profili utente e accesso ai dati"):
 * - nazionale: everything;
 * - regionale / ats / comunale (ottica di bisogno): rows whose beneficiary
 *   resides in the territory; filters naming a territory outside it are refused;
 * - ente (ottica di erogazione): rows the provider delivered, wherever the
 *   beneficiary lives (the cube's `ente: provider` link); public reference data
 *   declared `ente: seat` (population) for the territory of its legal seat.
 */
import { AppError } from '../errors.ts';
import type { Cube } from '../model/types.ts';
import { mapExpressions, type AggregatePlan, type PredicateNode } from '../plan/plan.ts';
import { keyExpr, memberPredicate } from '../plan/predicates.ts';
import type { Directory, Place, Provider } from './directory.ts';
import { PROFILE_LEVEL, type Level } from './profiles.ts';
import type { Principal } from './principal.ts';

export type Scope =
  | { readonly kind: 'all' }
  | { readonly kind: 'territory'; readonly place: Place }
  | { readonly kind: 'provider'; readonly provider: Provider };

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

/** The territory a scope is read through on this cube: its own, or the seat of a provider on a `ente: seat` cube. */
function placeOf(cube: Cube, scope: Scope): Place | undefined {
  if (scope.kind === 'territory') return scope.place;
  if (scope.kind === 'provider' && cube.access.ente === 'seat') return scope.provider.seat;
  return undefined;
}

/** The predicate that keeps a cube's rows inside a scope; `undefined` when nothing needs restricting. */
export function scopePredicate(cube: Cube, scope: Scope): PredicateNode | undefined {
  if (scope.kind === 'all') return undefined;
  if (scope.kind === 'provider' && cube.access.ente === 'provider') return memberPredicate(cube.dimensions.get(cube.access.provider!)!, 'in', [scope.provider.code]);
  if (scope.kind === 'provider' && cube.access.ente !== 'seat')
    throw new AppError('FORBIDDEN_CUBE', `Il cubo "${cube.name}" non dice quali record appartengono a un ente erogatore: il profilo ente non lo consulta.`);
  const place = placeOf(cube, scope);
  if (!place) return undefined; // a national provider (INPS) reading public reference data of the whole country
  return territoryPredicate(cube, place);
}

/** Rows of the territory `place` (at its level). */
export function territoryPredicate(cube: Cube, place: Place, negate = false): PredicateNode {
  return { kind: 'in', expr: keyExpr(cube.dimensions.get(territoryDimension(cube, place.level))!), values: [place.code], type: 'String', negate };
}

/** The cube's dimension of a territory level, or a refusal: a profile of that level cannot read the cube. */
export function territoryDimension(cube: Cube, level: Level): string {
  const dimName = cube.access.territory[level];
  if (!dimName) throw new AppError('FORBIDDEN_CUBE', `Il cubo "${cube.name}" non ha il livello territoriale "${level}" e non è quindi consultabile con questo profilo.`);
  return dimName;
}

/** Restricts a plan to a scope and tells relative dimensions which territory they are relative to. */
export function restrict(plan: AggregatePlan, cube: Cube, scope: Scope): AggregatePlan {
  const predicate = scopePredicate(cube, scope);
  const place = scope.kind === 'territory' ? scope.place : scope.kind === 'provider' ? scope.provider.seat : undefined;
  // "Sede legale nel territorio / fuori" learns which territory that is.
  const resolved = mapExpressions(plan, (e) =>
    e.kind !== 'scope_relative' ? e : { ...e, scope: place ? { column: e.columns[place.level], code: place.code } : 'all' },
  );
  return predicate ? { ...resolved, where: [predicate, ...resolved.where] } : resolved;
}

/** Filters on territory levels must name existing places inside (or above) the caller's territory. */
export function checkTerritoryFilters(cube: Cube, filters: readonly { dimension: string; op: string; value?: unknown; values?: readonly unknown[] }[], scope: Scope, directory: Directory): void {
  const levelOf = new Map<string, Level>(Object.entries(cube.access.territory).map(([level, dim]) => [dim!, level as Level]));
  for (const f of filters) {
    const level = levelOf.get(f.dimension);
    if (!level) continue;
    const values = f.values ?? [f.value];
    for (const v of values) {
      const place = directory.find(level, String(v));
      if (!place) throw new AppError('UNKNOWN_MEMBER', `"${v}" non è un codice di ${level} esistente (i codici sono quelli ISTAT, senza spazi; vedi /v1/cubes/${cube.name}/dimensions/${f.dimension}/members).`);
      if (scope.kind !== 'territory' || f.op === 'not_in') continue;
      const inside = directory.contains(scope.place, place) || directory.contains(place, scope.place);
      if (!inside)
        throw new AppError('FORBIDDEN_SCOPE', `Il filtro ${f.dimension} = "${v}" (${place.name}) è fuori dall'ambito del profilo: si possono vedere solo ${describeScope(scope)}.`, { scope: scope.place.code });
    }
  }
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
