/**
 * Runs a declared report for a caller: every figure is a cube query through
 * the one data path (plan -> scope rewrite -> SQL -> disclosure control), so
 * reports can show nothing a query could not.
 */
import { AppError } from '../errors.ts';
import { labelText } from '../query/crosstab.ts';
import { runQuery, type QueryContext } from '../query/execute.ts';
import type { Label, PerturbationInfo, QueryResult } from '../query/result.ts';
import type { Filter, QuerySpec } from '../query/spec.ts';
import type { Level, Place } from '../security/directory.ts';
import { mayOpenLevel } from '../security/levels.ts';
import type { Principal } from '../security/principal.ts';
import { resolveScope } from '../security/scope.ts';
import type { Report } from './load.ts';

export interface ReportRequest {
  /** Territory (or ente) the report is about, when the caller is above the report's level. */
  territorio?: string;
  filters: Record<string, (string | number)[]>;
}

export interface Kpi {
  measure: string;
  label: Label;
  format: string;
  definition?: string;
  value: number | null;
  suppressed: boolean;
}

export interface ReportTableResult {
  name: string;
  title: Label;
  chart: string;
  /** One result, or one per comparison (own territory, its ATS, Regione, Italia). */
  series: { key: string; label: string; result: QueryResult }[];
}

export interface ReportResult {
  report: string;
  label: Label;
  section: string;
  level: string;
  territory: { level: string; code: string; name: string } | null;
  filters: string[];
  dataDate: string;
  dataVersion: string;
  demo: boolean;
  kpis: Kpi[];
  tables: ReportTableResult[];
  /** Present when the figures are perturbed by the cell key method. */
  perturbation?: PerturbationInfo;
}

/** The access matrix for reports: its level and below; for 'tutti' the listed profiles (default all). */
export function mayOpenReport(report: Pick<Report, 'level' | 'profiles'>, profile: Principal['profile']): boolean {
  if (report.level === 'tutti') return !report.profiles || report.profiles.includes(profile);
  return mayOpenLevel(profile, report.level);
}

const LEVEL_OF: Record<string, Level | undefined> = { regionale: 'regione', ats: 'ats', comunale: 'comune' };
const CHILD: Record<string, Level | undefined> = { italia: 'regione', regione: 'ats', ats: 'comune' };

export async function runReport(ctx: QueryContext, report: Report, req: ReportRequest, principal: Principal): Promise<ReportResult> {
  if (!mayOpenReport(report, principal.profile))
    throw new AppError('FORBIDDEN_CUBE', `Il report "${labelText(report.label, 'it')}" è di livello ${report.level}: il profilo ${principal.profile} apre i report del proprio livello e di quelli inferiori.`);
  const cube = ctx.model.cubes.get(report.cube)!;
  for (const d of Object.keys(req.filters))
    if (!report.filters.includes(d)) throw new AppError('UNKNOWN_DIMENSION', `Il report "${report.name}" non ha il filtro "${d}". Filtri: ${report.filters.join(', ') || '(nessuno)'}.`);
  const userFilters: Filter[] = [...Object.entries(report.where), ...Object.entries(req.filters)]
    .filter(([, v]) => v.length)
    .map(([dimension, values]) => ({ dimension, op: 'in', values }));

  // The territory the report is about: the caller's own at its level, or a named one below it.
  const scope = resolveScope(principal, ctx.directory);
  let place: Place | undefined;
  let territoryFilter: Filter | undefined;
  let territory: ReportResult['territory'] = null;
  const level = LEVEL_OF[report.level];
  if (report.level === 'tutti') {
    if (scope.kind === 'territory') {
      place = scope.place;
      territory = { level: place.level, code: place.code, name: place.name };
    } else if (scope.kind === 'provider') territory = { level: 'ente', code: scope.provider.code, name: scope.provider.name };
  } else if (report.level === 'ente') {
    const code = scope.kind === 'provider' ? scope.provider.code : req.territorio;
    if (!code) throw new AppError('INVALID_REQUEST', 'Indicare l\'ente erogatore ("territorio": codice dell\'ente).');
    const provider = ctx.directory.provider(code);
    if (!provider) throw new AppError('UNKNOWN_MEMBER', `"${code}" non è un ente erogatore esistente.`);
    if (scope.kind !== 'provider') territoryFilter = { dimension: cube.access.provider!, op: 'eq', value: code };
    territory = { level: 'ente', code, name: provider.name };
  } else if (level) {
    const own = scope.kind === 'territory' && scope.place.level === level ? scope.place : undefined;
    const code = own?.code ?? req.territorio;
    if (!code) throw new AppError('INVALID_REQUEST', `Indicare il territorio del report ("territorio": codice di ${level}).`);
    place = ctx.directory.find(level, code);
    if (!place) throw new AppError('UNKNOWN_MEMBER', `"${code}" non è un codice di ${level} esistente.`);
    if (!own) territoryFilter = { dimension: cube.access.territory[level]!, op: 'eq', value: code };
    territory = { level, code, name: place.name };
  }

  const base = (extra: Partial<QuerySpec>): QuerySpec => ({
    measures: [],
    rows: [],
    columns: [],
    filters: [...(territoryFilter ? [territoryFilter] : []), ...userFilters],
    totals: false,
    subtotals: false,
    order: [],
    limit: 10_000,
    offset: 0,
    ...extra,
  });

  const kpiResult = report.kpis.length ? await runQuery(ctx, cube.name, base({ measures: report.kpis }), principal) : undefined;
  const kpis: Kpi[] = report.kpis.map((m) => {
    const col = kpiResult!.columns.find((c) => c.name === m)!;
    const row = kpiResult!.rows[0];
    return { measure: m, label: col.label, format: col.format, definition: col.definition, value: (row?.[m] as number | null) ?? null, suppressed: Boolean(row?.suppressed) };
  });

  const tables: ReportTableResult[] = [];
  for (const t of report.tables) {
    const child = CHILD[place?.level ?? (scope.kind === 'territory' ? scope.place.level : 'italia')];
    const rows = t.rows.map((d) => {
      if (d !== '$sotto') return d;
      if (!child) throw new AppError('INVALID_REQUEST', `Il report "${report.name}" confronta i territori del livello inferiore, che per un comune non esiste.`);
      return cube.access.territory[child]!;
    });
    const spec = base({ measures: t.measures, rows, columns: t.columns, totals: t.totals });
    if (!t.compare) {
      tables.push({ name: t.name, title: t.title, chart: t.chart, series: [{ key: 'proprio', label: territory?.name ?? 'Italia', result: await runQuery(ctx, cube.name, spec, principal) }] });
      continue;
    }
    const series: ReportTableResult['series'] = [];
    for (const k of t.compare) {
      const target = k === 'proprio' ? place : k === 'italia' ? undefined : place && ctx.directory.ancestor(place, k);
      if (k !== 'proprio' && k !== 'italia' && !target) continue; // no such level above the territory
      if (k === 'proprio' && !place) continue;
      const label = k === 'italia' ? 'Italia' : target!.name;
      const ownPlace = scope.kind === 'territory' ? scope.place : undefined;
      const aboveCaller = k === 'italia' ? scope.kind !== 'all' : Boolean(ownPlace && target && ctx.directory.contains(target, ownPlace) && target.code !== ownPlace.code);
      const s: QuerySpec = aboveCaller
        ? { ...spec, filters: userFilters, benchmark: k as 'ats' | 'regione' | 'italia' }
        : { ...spec, filters: [...(target ? [{ dimension: cube.access.territory[target.level]!, op: 'eq' as const, value: target.code }] : []), ...userFilters] };
      series.push({ key: k, label, result: await runQuery(ctx, cube.name, s, principal) });
    }
    tables.push({ name: t.name, title: t.title, chart: t.chart, series });
  }

  const any = kpiResult ?? tables[0]?.series[0]?.result;
  return {
    report: report.name,
    label: report.label,
    section: report.section,
    level: report.level,
    territory,
    filters: any?.filters ?? [],
    dataDate: any?.dataDate ?? '',
    dataVersion: any?.dataVersion ?? '',
    demo: any?.demo ?? false,
    kpis,
    tables,
    ...(any?.perturbation ? { perturbation: any.perturbation } : {}),
  };
}
