/**
 * Access decisions of the PAS reports: who may open a report (its level, its
 * profiles and the cube it reads), which territory a report is about, what
 * `$sotto` means for it, and how each comparison series (own territory, its
 * ATS, Regione, Italia) is asked for: as a filter inside the caller's scope,
 * or as a benchmark the gate checks like any query.
 */
import { AppError } from '../errors.ts';
import type { Cube, Model } from '../model/types.ts';
import type { Filter } from '../plan/spec.ts';
import { mayReadCube } from './access.ts';
import type { Directory, Place } from './directory.ts';
import { mayOpenLevel, PROFILE_LEVEL, type Level, type Profile } from './profiles.ts';
import type { Principal } from './principal.ts';
import { resolveScope, type Scope } from './scope.ts';

export interface ReportAccess {
  readonly name: string;
  /** 'tutti': every profile (or `profiles`), about its own scope. */
  readonly level: Profile | 'tutti';
  readonly profiles?: readonly Profile[];
  readonly cube: string;
}

/** The access matrix for reports (its level and below; for 'tutti' the listed profiles), and the cube must be readable. */
export function mayOpenReport(report: ReportAccess, principal: Principal, model: Model): boolean {
  const byLevel = report.level === 'tutti' ? !report.profiles || report.profiles.includes(principal.profile) : mayOpenLevel(principal.profile, report.level);
  const cube = model.cubes.get(report.cube);
  return byLevel && cube !== undefined && mayReadCube(cube, principal);
}

export function checkReportAccess(report: ReportAccess & { title: string }, principal: Principal, model: Model): void {
  if (!mayOpenReport(report, principal, model))
    throw new AppError('FORBIDDEN_CUBE', `Il report "${report.title}" è di livello ${report.level} sul cubo ${report.cube}: il profilo ${principal.profile} apre i report del proprio livello e di quelli inferiori, sui cubi che può consultare.`);
}

export interface ReportTarget {
  readonly scope: Scope;
  /** The territory the report is about, when it is a place. */
  readonly place?: Place;
  /** Restriction to a territory or ente below the caller (the gate checks it is inside the scope). */
  readonly filter?: Filter;
  readonly territory: { level: string; code: string; name: string } | null;
}

/** The territory a report is about: the caller's own at the report's level, or a named one below it. */
export function reportTarget(report: ReportAccess, cube: Cube, territorio: string | undefined, principal: Principal, directory: Directory): ReportTarget {
  const scope = resolveScope(principal, directory);
  if (report.level === 'tutti') {
    if (scope.kind === 'territory') return { scope, place: scope.place, territory: { level: scope.place.level, code: scope.place.code, name: scope.place.name } };
    if (scope.kind === 'provider') return { scope, territory: { level: 'ente', code: scope.provider.code, name: scope.provider.name } };
    return { scope, territory: null };
  }
  if (report.level === 'ente') {
    const code = scope.kind === 'provider' ? scope.provider.code : territorio;
    if (!code) throw new AppError('INVALID_REQUEST', 'Indicare l\'ente erogatore ("territorio": codice dell\'ente).');
    const provider = directory.provider(code);
    if (!provider) throw new AppError('UNKNOWN_MEMBER', `"${code}" non è un ente erogatore esistente.`);
    const filter: Filter | undefined = scope.kind !== 'provider' ? { dimension: cube.access.provider!, op: 'eq', value: code } : undefined;
    return { scope, filter, territory: { level: 'ente', code, name: provider.name } };
  }
  const level = report.level === 'nazionale' ? undefined : PROFILE_LEVEL[report.level];
  if (!level) return { scope, territory: null };
  const own = scope.kind === 'territory' && scope.place.level === level ? scope.place : undefined;
  const code = own?.code ?? territorio;
  if (!code) throw new AppError('INVALID_REQUEST', `Indicare il territorio del report ("territorio": codice di ${level}).`);
  const place = directory.find(level, code);
  if (!place) throw new AppError('UNKNOWN_MEMBER', `"${code}" non è un codice di ${level} esistente.`);
  return { scope, place, filter: own ? undefined : { dimension: cube.access.territory[level]!, op: 'eq', value: code }, territory: { level, code, name: place.name } };
}

const CHILD: Record<string, Level | undefined> = { italia: 'regione', regione: 'ats', ats: 'comune' };

/** `$sotto`: the dimension of the territory level below the report's territory. */
export function childDimension(cube: Cube, target: ReportTarget, reportName: string): string {
  const child = CHILD[target.place?.level ?? (target.scope.kind === 'territory' ? target.scope.place.level : 'italia')];
  if (!child) throw new AppError('INVALID_REQUEST', `Il report "${reportName}" confronta i territori del livello inferiore, che per un comune non esiste.`);
  return cube.access.territory[child]!;
}

export type CompareKey = 'proprio' | 'ats' | 'regione' | 'italia';

/**
 * One comparison series: the territory's own figures, or those of a territory
 * above it. Above the caller it is a benchmark (checked by the gate), else a
 * filter inside the caller's scope. Undefined when the level does not exist.
 */
export function compareSeries(k: CompareKey, target: ReportTarget, cube: Cube, directory: Directory): { label: string; filters: Filter[]; benchmark?: 'ats' | 'regione' | 'italia' } | undefined {
  const place = target.place;
  if (k === 'proprio' && !place) return undefined;
  const above = k === 'proprio' || k === 'italia' ? undefined : place && directory.ancestor(place, k);
  if (k !== 'proprio' && k !== 'italia' && !above) return undefined; // no such level above the territory
  const t = k === 'proprio' ? place : above;
  const label = k === 'italia' ? 'Italia' : t!.name;
  const scope = target.scope;
  const ownPlace = scope.kind === 'territory' ? scope.place : undefined;
  const aboveCaller = k === 'italia' ? scope.kind !== 'all' : Boolean(ownPlace && t && directory.contains(t, ownPlace) && t.code !== ownPlace.code);
  if (aboveCaller) return { label, filters: [], benchmark: k as 'ats' | 'regione' | 'italia' };
  return { label, filters: t ? [{ dimension: cube.access.territory[t.level]!, op: 'eq', value: t.code }] : [] };
}
