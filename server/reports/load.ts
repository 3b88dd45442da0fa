/** Loads and checks the report files against the cube model: every name must exist, every error positioned. */
import { existsSync } from 'node:fs';
import { parseYamlFile, readDir, ModelError, type ModelIssue } from '../model/load.ts';
import type { Model } from '../model/types.ts';
import type { Label } from '../plan/result.ts';
import { ReportFileSchema, type ReportFile } from './schema.ts';

export type Report = Omit<ReportFile, 'label' | 'tables'> & {
  file: string;
  label: Label;
  tables: (Omit<ReportFile['tables'][number], 'title'> & { title: Label })[];
};

const asLabel = (l: string | Label): Label => (typeof l === 'string' ? { it: l } : l);

export function loadReports(dir: string, model: Model): Map<string, Report> {
  const reports = new Map<string, Report>();
  if (!existsSync(dir)) return reports;
  const issues: ModelIssue[] = [];
  for (const [file, text] of Object.entries(readDir(dir))) {
    const { value, issues: found, at } = parseYamlFile(file, text, ReportFileSchema);
    issues.push(...found);
    if (!value) continue;
    const cube = model.cubes.get(value.cube);
    if (!cube) {
      issues.push(at(['cube'], `unknown cube "${value.cube}"`));
      continue;
    }
    const dim = (d: string, path: (string | number)[]) => d === '$sotto' || cube.dimensions.has(d) || issues.push(at(path, `cube "${cube.name}" has no dimension "${d}"`));
    const measure = (m: string, path: (string | number)[]) => cube.measures.has(m) || issues.push(at(path, `cube "${cube.name}" has no measure "${m}"`));
    value.filters.forEach((d, i) => dim(d, ['filters', i]));
    Object.keys(value.where).forEach((d) => dim(d, ['where', d]));
    value.kpis.forEach((m, i) => measure(m, ['kpis', i]));
    value.tables.forEach((t, i) => {
      [...t.rows, ...t.columns].forEach((d, j) => dim(d, ['tables', i, j < t.rows.length ? 'rows' : 'columns', j < t.rows.length ? j : j - t.rows.length]));
      t.measures.forEach((m, j) => measure(m, ['tables', i, 'measures', j]));
    });
    if (reports.has(value.name)) issues.push(at(['name'], `report "${value.name}" is defined twice`));
    reports.set(value.name, { ...value, file, label: asLabel(value.label), tables: value.tables.map((t) => ({ ...t, title: asLabel(t.title) })) });
  }
  if (issues.length) throw new ModelError(issues);
  return reports;
}
