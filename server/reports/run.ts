/**
 * Runs a declared report for a caller: every figure is a cube query through
 * the one data path (plan -> scope rewrite -> SQL -> disclosure control), so
 * reports can show nothing a query could not.
 */
import { AppError } from '../errors.ts';
import { labelText } from '../present/crosstab.ts';
import { cachedComposition } from '../query/cache.ts';
import { runQueries, runQuery, type QueryContext } from '../query/execute.ts';
import type { Label, PerturbationInfo, QueryResult } from '../plan/result.ts';
import type { Filter, QuerySpec } from '../plan/spec.ts';
import type { Principal } from '../security/principal.ts';
import { checkReportAccess, childDimension, compareSeries, reportTarget } from '../security/reports.ts';
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

export async function runReport(ctx: QueryContext, report: Report, req: ReportRequest, principal: Principal): Promise<ReportResult> {
  checkReportAccess({ ...report, title: labelText(report.label, 'it') }, principal, ctx.model);
  const cube = ctx.model.cubes.get(report.cube)!;
  for (const d of Object.keys(req.filters))
    if (!report.filters.includes(d)) throw new AppError('UNKNOWN_DIMENSION', `Il report "${report.name}" non ha il filtro "${d}". Filtri: ${report.filters.join(', ') || '(nessuno)'}.`);
  const userFilters: Filter[] = [...Object.entries(report.where), ...Object.entries(req.filters)]
    .filter(([, v]) => v.length)
    .map(([dimension, values]) => ({ dimension, op: 'in', values }));

  // The territory the report is about, and how each series reaches it: decided by the gate (security/reports.ts).
  const target = reportTarget(report, cube, req.territorio, principal, ctx.directory);
  const { territory } = target;
  const territoryFilter = target.filter;

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

  // The indicators and the tables of the report's own territory read the same rows: they are computed together,
  // in one engine query where their plans allow it (runQueries); the comparison tables concurrently, each series
  // (another territory) on its own. Both measured faster than one query after the other (README, issue #15).
  const tableSpec = (t: Report['tables'][number]) => base({ measures: t.measures, rows: t.rows.map((d) => (d === '$sotto' ? childDimension(cube, target, report.name) : d)), columns: t.columns, totals: t.totals });
  const own = report.tables.filter((t) => !t.compare);
  const kpiSpecs = report.kpis.length ? [base({ measures: report.kpis })] : [];
  const [ownResults, compared] = await Promise.all([
    runQueries(ctx, cube.name, [...kpiSpecs, ...own.map(tableSpec)], principal),
    Promise.all(report.tables.filter((t) => t.compare).map((t) => runCompared(t))),
  ]);
  const kpiResult = kpiSpecs.length ? ownResults.shift() : undefined;
  const ownTables = own.map((t, i): ReportTableResult => ({ name: t.name, title: t.title, chart: t.chart, series: [{ key: 'proprio', label: territory?.name ?? 'Italia', result: ownResults[i] }] }));
  // Back in the report's order.
  const tables = report.tables.map((t) => (t.compare ? compared : ownTables).shift()!);
  const kpis: Kpi[] = report.kpis.map((m) => {
    const col = kpiResult!.columns.find((c) => c.name === m)!;
    const row = kpiResult!.rows[0];
    return { measure: m, label: col.label, format: col.format, definition: col.definition, value: (row?.[m] as number | null) ?? null, suppressed: Boolean(row?.suppressed) };
  });

  async function runCompared(t: Report['tables'][number]): Promise<ReportTableResult> {
    const spec = tableSpec(t);
    const series: ReportTableResult['series'] = [];
    for (const k of t.compare!) {
      const c = compareSeries(k, target, cube, ctx.directory);
      if (!c) continue;
      const s: QuerySpec = { ...spec, filters: [...c.filters, ...userFilters], ...(c.benchmark ? { benchmark: c.benchmark } : {}) };
      series.push({ key: k, label: c.label, result: await runQuery(ctx, cube.name, s, principal) });
    }
    return { name: t.name, title: t.title, chart: t.chart, series };
  }

  const any = kpiResult ?? tables[0]?.series[0]?.result;
  // A repeated request gets the same frozen report back (query/cache.ts): no second serialisation.
  const parts = [...(kpiResult ? [kpiResult] : []), ...tables.flatMap((t) => t.series.map((s) => s.result))];
  return cachedComposition<ReportResult>(ctx, {
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
  }, parts);
}
