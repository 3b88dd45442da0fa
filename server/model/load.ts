/**
 * Loads `cubes/*.yaml` into the typed model. Runs in phases (parse -> validate
 * shape -> resolve references) and collects every error before failing, each
 * with file, line, column, the path inside the document and what was expected.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import type { Label } from '../plan/result.ts';
import { ptableProblem } from '../security/ptable.ts';
import { ModelFileSchema, type CubeFile, type DimensionFile, type MeasureFile, type ModelFile, type TableFile } from './schema.ts';
import { isTerritorial, PROFILE_LEVEL, PROFILES } from '../security/profiles.ts';
import type { Access, Band, Cube, Dimension, Hierarchy, KeyExpression, Measure, MemberSource, Model, TableDef } from './types.ts';
import { MEASURE_KINDS } from './measure-kinds.ts';

export interface ModelIssue {
  file: string;
  line: number;
  column: number;
  path: (string | number)[];
  message: string;
}

export class ModelError extends Error {
  constructor(readonly issues: ModelIssue[]) {
    super(`invalid cube model:\n${issues.map(formatIssue).join('\n')}`);
    this.name = 'ModelError';
  }
}

export function formatIssue(issue: ModelIssue): string {
  const where = issue.path.length ? ` (${issue.path.join(' -> ')})` : '';
  return `${issue.file}:${issue.line}:${issue.column}${where}: ${issue.message}`;
}

interface ParsedFile {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

/** A source of model files: a directory on disk, or name -> text (tests, admin previews). */
export type ModelSource = { dir: string } | { files: Record<string, string> };

export function loadModel(source: ModelSource): Model {
  const texts = 'dir' in source ? readDir(source.dir) : source.files;
  const issues: ModelIssue[] = [];
  const parsed: { file: ParsedFile; value: ModelFile }[] = [];

  for (const [file, text] of Object.entries(texts)) {
    const { value, issues: fileIssues, parsed: pf } = parseYamlFile(file, text, ModelFileSchema);
    issues.push(...fileIssues);
    if (value) parsed.push({ file: pf, value });
  }
  if (issues.length) throw new ModelError(issues);

  const shared = new Map<string, { def: DimensionFile; at: ParsedFile }>();
  for (const { file, value } of parsed) {
    if (value.kind !== 'dimensions') continue;
    for (const [name, def] of Object.entries(value.dimensions)) {
      if (shared.has(name)) issues.push(issueAt(file, ['dimensions', name], `shared dimension "${name}" is defined twice (also in ${shared.get(name)!.at.file})`));
      else shared.set(name, { def, at: file });
    }
  }

  const tables = new Map<string, TableDef>();
  const tableFiles = new Map<string, ParsedFile>();
  for (const { file, value } of parsed) {
    if (value.kind === 'dimensions') continue;
    for (const [name, def] of Object.entries(value.tables ?? {})) {
      if (tables.has(name)) issues.push(issueAt(file, ['tables', name], `table "${name}" is declared twice (also in ${tables.get(name)!.file})`));
      else tables.set(name, resolveTable(name, def, file, issues)), tableFiles.set(name, file);
    }
  }
  // A column referencing another declared table (a load's cross-table check) names a table and column that exist.
  for (const table of tables.values())
    for (const c of table.columns)
      for (const [key, ref] of [['references', c.references], ['not_after', c.notAfter], ['not_before', c.notBefore]] as const) {
        if (!ref) continue;
        const target = tables.get(ref.table);
        const at = ['tables', table.name, 'columns', c.name, key];
        const wanted = 'by' in ref ? [ref.by, ref.column] : [ref.column];
        if (!target) issues.push(issueAt(tableFiles.get(table.name)!, at, `unknown declared table "${ref.table}"; declared tables: ${[...tables.keys()].join(', ')}`));
        else for (const w of wanted) if (!target.columns.some((x) => x.name === w)) issues.push(issueAt(tableFiles.get(table.name)!, at, `table "${ref.table}" has no column "${w}"`));
        if ('by' in ref && !table.columns.some((x) => x.name === ref.by)) issues.push(issueAt(tableFiles.get(table.name)!, at, `this table has no column "${ref.by}"`));
      }

  const cubes = new Map<string, Cube>();
  const cubeFiles = new Map<string, ParsedFile>();
  for (const { file, value } of parsed) {
    if (value.kind !== 'cube') continue;
    if (cubes.has(value.name)) {
      issues.push(issueAt(file, ['name'], `cube "${value.name}" is defined twice (also in ${cubes.get(value.name)!.file})`));
      continue;
    }
    const cube = resolveCube(value, file, shared, issues);
    const table = tables.get(cube.table);
    if (table) checkColumns(cube, value, table, file, issues);
    cubes.set(cube.name, cube);
    cubeFiles.set(cube.name, file);
  }
  // Cross-cube references can only be checked once every cube is known.
  for (const cube of cubes.values()) {
    for (const m of cube.measures.values()) {
      if (m.kind !== 'ratio' || !m.denominator.cube) continue;
      const other = cubes.get(m.denominator.cube);
      const at: (string | number)[] = ['measures', m.name, 'denominator'];
      if (!other) issues.push(issueAt(cubeFiles.get(cube.name)!, at, `unknown cube "${m.denominator.cube}"; known cubes: ${[...cubes.keys()].join(', ')}`));
      else if (!other.measures.has(m.denominator.measure))
        issues.push(issueAt(cubeFiles.get(cube.name)!, at, `cube "${other.name}" has no measure "${m.denominator.measure}"; it has: ${[...other.measures.keys()].join(', ')}`));
      else if (other.measures.get(m.denominator.measure)!.kind === 'ratio')
        issues.push(issueAt(cubeFiles.get(cube.name)!, at, `the denominator must be a sum, count or distinct count, not a ratio`));
    }
  }
  if (issues.length) throw new ModelError(issues);
  return { cubes, tables };
}

function resolveTable(name: string, def: TableFile, at: ParsedFile, issues: ModelIssue[]): TableDef {
  const path = ['tables', name];
  const columns = Object.entries(def.columns).map(([column, c]) => ({
    name: column,
    type: c.type.replace(/\s+/g, '').replace(',', ', '),
    required: c.required ?? true,
    description: c.description,
    codes: c.codes,
    values: c.values,
    lookup: c.lookup,
    matches: c.matches,
    references: c.references,
    notAfter: c.not_after,
    labels: c.labels,
    requiredIf: c.required_if,
    notBefore: c.not_before,
  }));
  const known = new Set(columns.map((c) => c.name));
  if (columns.length === 0) issues.push(issueAt(at, [...path, 'columns'], 'a table needs at least one column'));
  for (const key of ['order_by', 'batch'] as const)
    (def[key] ?? []).forEach((column, i) => {
      if (!known.has(column)) issues.push(issueAt(at, [...path, key, i], `unknown column "${column}"; the table has: ${[...known].join(', ')}`));
      else if (def.columns[column].required === false) issues.push(issueAt(at, [...path, key, i], `"${column}" is not required: sorting and batch columns must be required`));
    });
  for (const c of columns) {
    if (c.lookup && !known.has(c.lookup.by)) issues.push(issueAt(at, [...path, 'columns', c.name, 'lookup', 'by'], `unknown column "${c.lookup.by}" of this table`));
    if (c.lookup && (c.codes || c.values)) issues.push(issueAt(at, [...path, 'columns', c.name], 'a lookup column is not read from the file: remove "codes"/"values"'));
    if (c.requiredIf && !known.has(c.requiredIf.column)) issues.push(issueAt(at, [...path, 'columns', c.name, 'required_if', 'column'], `unknown column "${c.requiredIf.column}" of this table`));
    if (c.labels && c.values) for (const k of Object.keys(c.labels)) if (!c.values.map(String).includes(k)) issues.push(issueAt(at, [...path, 'columns', c.name, 'labels', k], `"${k}" is not one of the allowed values (${c.values.join(', ')})`));
    if (c.matches && !known.has(c.matches.by)) issues.push(issueAt(at, [...path, 'columns', c.name, 'matches', 'by'], `unknown column "${c.matches.by}" of this table`));
    if (c.values && /Int|Float|Decimal/.test(c.type) && c.values.some((v) => typeof v !== 'number'))
      issues.push(issueAt(at, [...path, 'columns', c.name, 'values'], `values of a ${c.type} column must be numbers`));
  }
  return { name, description: def.description, file: at.file, columns, orderBy: def.order_by, batch: def.batch ?? [] };
}

/** Every column a cube names must exist in its declared table. */
function checkColumns(cube: Cube, file: CubeFile, table: TableDef, at: ParsedFile, issues: ModelIssue[]): void {
  const known = new Set(table.columns.map((c) => c.name));
  const check = (column: string | undefined, path: (string | number)[]) => {
    if (column !== undefined && !known.has(column))
      issues.push(issueAt(at, path, `unknown column "${column}" of table ${table.name} (${table.file}); it has: ${[...known].join(', ')}`));
  };
  for (const [name, raw] of Object.entries(file.dimensions)) {
    const dim = cube.dimensions.get(name);
    if (!dim) continue;
    const path = ['dimensions', name];
    if (dim.key.kind === 'column') check(dim.key.column, raw.column ? [...path, 'column'] : path);
    else if (dim.key.kind === 'bands') check(dim.key.column, raw.bands ? [...path, 'bands', 'of'] : raw.column ? [...path, 'column'] : path);
    else if (dim.key.kind === 'scope_relative') for (const level of ['regione', 'ats', 'comune'] as const) check(dim.key.columns[level], [...path, 'relative_to_scope', level]);
  }
  for (const m of cube.measures.values()) if (m.kind !== 'ratio') check(m.column, ['measures', m.name, 'column']);
  check(cube.disclosure?.person, ['disclosure', 'person']);
  cube.disclosure?.records.forEach((c, i) => check(c, ['disclosure', 'records', i]));
}

/** Parses one YAML file and validates it against a zod schema, with positioned issues (used by report files too). */
export function parseYamlFile<T>(file: string, text: string, schema: z.ZodType<T>): { value?: T; issues: ModelIssue[]; parsed: ParsedFile; at: (path: (string | number)[], message: string) => ModelIssue } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const pf: ParsedFile = { file, doc, lines };
  const at = (path: (string | number)[], message: string) => issueAt(pf, path, message);
  if (doc.errors.length)
    return { issues: doc.errors.map((e) => ({ file, line: lines.linePos(e.pos[0]).line, column: lines.linePos(e.pos[0]).col, path: [], message: `YAML: ${e.message.split('\n')[0]}` })), parsed: pf, at };
  const result = schema.safeParse(doc.toJS());
  if (!result.success) return { issues: result.error.issues.map((zi) => issueAt(pf, zi.path as (string | number)[], describeZodIssue(zi))), parsed: pf, at };
  return { value: result.data, issues: [], parsed: pf, at };
}

export function readDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    if (!/\.ya?ml$/.test(name)) continue;
    const path = join(dir, name);
    out[relative(process.cwd(), path) || path] = readFileSync(path, 'utf8');
  }
  return out;
}

function issueAt(file: ParsedFile, path: (string | number)[], message: string): ModelIssue {
  // Walk up the path until a node with a position exists (a missing key points at its parent).
  for (let depth = path.length; depth >= 0; depth--) {
    const sub = path.slice(0, depth);
    const node = sub.length ? file.doc.getIn(sub, true) : file.doc.contents;
    let offset: number | undefined;
    if (isNode(node) && node.range) offset = node.range[0];
    if (offset === undefined && sub.length) {
      // Keys of maps carry the position when the value is absent or a scalar without range.
      const parent = sub.length > 1 ? file.doc.getIn(sub.slice(0, -1), true) : file.doc.contents;
      const pair = isNode(parent) && 'items' in parent ? (parent.items as { key?: unknown }[]).find((p) => isNode(p.key) && (p.key as { value?: unknown }).value === sub[sub.length - 1]) : undefined;
      if (pair && isNode(pair.key) && pair.key.range) offset = pair.key.range[0];
    }
    if (offset !== undefined) {
      const pos = file.lines.linePos(offset);
      return { file: file.file, line: pos.line, column: pos.col, path, message };
    }
  }
  return { file: file.file, line: 1, column: 1, path, message };
}

function describeZodIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_union':
      return `expected one of the allowed forms: ${issue.message}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return issue.message;
  }
}

function label(l: string | Label | undefined, fallback: string): Label {
  if (l === undefined) return { it: fallback };
  return typeof l === 'string' ? { it: l } : l;
}

function resolveCube(file: CubeFile, at: ParsedFile, shared: Map<string, { def: DimensionFile }>, issues: ModelIssue[]): Cube {
  const dimensions = new Map<string, Dimension>();
  for (const [name, raw] of Object.entries(file.dimensions)) {
    const path = ['dimensions', name];
    let def: DimensionFile = raw;
    if (raw.use) {
      const base = shared.get(raw.use);
      if (!base) {
        issues.push(issueAt(at, [...path, 'use'], `unknown shared dimension "${raw.use}"; known: ${[...shared.keys()].join(', ') || '(none)'}`));
        continue;
      }
      def = mergeDimension(base.def, raw);
    }
    const dim = resolveDimension(name, def, at, path, issues);
    if (dim) dimensions.set(name, dim);
  }

  const hierarchies = new Map<string, Hierarchy>();
  for (const [name, h] of Object.entries(file.hierarchies ?? {})) {
    h.levels.forEach((level, i) => {
      const d = dimensions.get(level);
      if (!d) {
        if (!(level in file.dimensions)) issues.push(issueAt(at, ['hierarchies', name, 'levels', i], `unknown dimension "${level}"`));
        return;
      }
      dimensions.set(level, { ...d, hierarchy: { name, level: i } });
    });
    hierarchies.set(name, { name, label: label(h.label, name), levels: h.levels });
  }

  const measures = new Map<string, Measure>();
  for (const [name, m] of Object.entries(file.measures)) {
    const measure = resolveMeasure(name, m, file, dimensions, at, issues);
    if (measure) measures.set(name, measure);
  }

  const territory: Record<string, string> = {};
  for (const level of ['regione', 'ats', 'comune'] as const) {
    const named = file.access?.territory?.[level];
    if (named && !dimensions.has(named)) issues.push(issueAt(at, ['access', 'territory', level], `unknown dimension "${named}"`));
    else if (named) territory[level] = named;
    else if (dimensions.has(level)) territory[level] = level;
  }
  const provider = file.access?.provider;
  if (provider && !dimensions.has(provider)) issues.push(issueAt(at, ['access', 'provider'], `unknown dimension "${provider}"`));
  if (file.disclosure) {
    const problem = ptableProblem({ D: file.disclosure.noise.max, V: file.disclosure.noise.variance, js: file.disclosure.threshold - 1 });
    if (problem) issues.push(issueAt(at, ['disclosure', 'noise'], `${problem} (threshold ${file.disclosure.threshold})`));
    file.disclosure.exact.forEach((name, i) => {
      const m = measures.get(name);
      if (!m || (m.kind !== 'count' && m.kind !== 'count_distinct'))
        issues.push(issueAt(at, ['disclosure', 'exact', i], `"${name}" is not a count measure of this cube; exact applies to counts that are not of persons or records`));
      else if (m.kind === 'count_distinct' && m.column === file.disclosure!.person)
        issues.push(issueAt(at, ['disclosure', 'exact', i], `"${name}" counts persons: it must be perturbed`));
    });
  }
  // Places and providers are territorial whatever the file says.
  for (const name of [...Object.values(territory), ...(provider ? [provider] : [])]) {
    const d = dimensions.get(name);
    if (d) dimensions.set(name, { ...d, territorial: true });
  }

  return {
    name: file.name,
    label: label(file.label, file.name),
    access: resolveAccess(file, territory, dimensions, at, issues),
    disclosure: file.disclosure && {
      person: file.disclosure.person,
      threshold: file.disclosure.threshold,
      noise: file.disclosure.noise,
      amountNoise: file.disclosure.amount_noise,
      records: file.disclosure.records,
      exact: file.disclosure.exact,
    },
    description: file.description,
    table: file.table,
    source: file.source,
    hidden: file.hidden ?? false,
    file: at.file,
    dimensions,
    hierarchies,
    measures,
  };
}

function resolveAccess(file: CubeFile, territory: Record<string, string>, dimensions: Map<string, Dimension>, at: ParsedFile, issues: ModelIssue[]): Access {
  const a = file.access ?? {};
  const provider = a.provider;
  if (a.ente === 'provider' && !provider) issues.push(issueAt(at, ['access', 'ente'], 'ente: provider needs access.provider (the dimension of the ente that delivered the record)'));
  if (a.ente === 'seat' && file.disclosure) issues.push(issueAt(at, ['access', 'ente'], 'ente: seat is for reference data that are not about persons; a cube with disclosure is read by an ente only through the records it delivered (ente: provider)'));
  const ente = a.ente ?? (provider ? 'provider' : undefined);
  const territorial = Object.keys(territory).length > 0;
  const profiles = a.profiles ?? PROFILES.filter((p) => (p === 'ente' ? ente !== undefined : isTerritorial(p) ? territorial : true));
  (a.profiles ?? []).forEach((p, i) => {
    if (p === 'ente' && !ente) issues.push(issueAt(at, ['access', 'profiles', i], 'the ente profile needs a link to the records: declare access.provider (records it delivered) or, for reference data, access.ente: seat'));
    if (isTerritorial(p) && !territory[PROFILE_LEVEL[p]]) issues.push(issueAt(at, ['access', 'profiles', i], `the ${p} profile needs the territory dimension "${PROFILE_LEVEL[p]}" (or access.territory.${PROFILE_LEVEL[p]})`));
  });
  let benchmark: Access['benchmark'];
  const totals = a.ancestor_totals;
  if (totals) {
    const declared = totals === true ? { dimensions: [], min_units: 3 } : totals;
    declared.dimensions.forEach((name, i) => {
      const d = dimensions.get(name);
      if (!d) issues.push(issueAt(at, ['access', 'ancestor_totals', 'dimensions', i], `unknown dimension "${name}"`));
      else if (d.territorial) issues.push(issueAt(at, ['access', 'ancestor_totals', 'dimensions', i], `"${name}" is territorial (a territory level, the ente erogatore, relative to the scope or declared territorial): a benchmark is never broken down by territory`));
    });
    benchmark = { dimensions: declared.dimensions, minUnits: declared.min_units };
  }
  return { territory, provider, profiles, ente, benchmark, level: a.level ?? 'ente' };
}

function mergeDimension(base: DimensionFile, local: DimensionFile): DimensionFile {
  const merged: DimensionFile = { ...base, ...local };
  // A local column / expression / bands replaces the shared way of computing the key, keeping shared labels and ranges.
  if (local.column && base.bands) merged.bands = { ...base.bands, of: local.column }, delete merged.column;
  delete merged.use;
  return merged;
}

function resolveDimension(name: string, def: DimensionFile, at: ParsedFile, path: (string | number)[], issues: ModelIssue[]): Dimension | undefined {
  const ways = [def.column, def.expression, def.bands, def.relative_to_scope].filter((x) => x !== undefined).length;
  if (ways !== 1) {
    issues.push(issueAt(at, path, `a dimension needs exactly one of "column", "expression", "bands" or "relative_to_scope" (found ${ways})`));
    return undefined;
  }
  let key: KeyExpression;
  let members: MemberSource;
  if (def.bands) {
    const ranges: Band[] = def.bands.ranges.map((r) => ({ key: r.key, label: label(r.label, r.key), from: r.from, to: r.to }));
    const problem = checkBands(ranges);
    if (problem) issues.push(issueAt(at, [...path, 'bands', 'ranges'], problem));
    key = { kind: 'bands', column: def.bands.of, ranges, missing: def.bands.missing && { key: def.bands.missing.key, label: label(def.bands.missing.label, def.bands.missing.key) } };
    members = { kind: 'bands' };
    if (def.members) issues.push(issueAt(at, [...path, 'members'], 'banded dimensions take their members from the bands; remove "members"'));
    if (def.type === 'integer') issues.push(issueAt(at, [...path, 'type'], 'band keys are strings; remove "type" or set it to string'));
  } else {
    key = def.column ? { kind: 'column', column: def.column } : def.relative_to_scope ? { kind: 'scope_relative', columns: def.relative_to_scope } : { kind: 'expression', sql: def.expression! };
    if (def.relative_to_scope && (def.type !== 'integer' || !Array.isArray(def.members) || def.members.map((m) => m.key).join() !== '1,2'))
      issues.push(issueAt(at, path, 'relative_to_scope needs type: integer and members with keys 1 (in the territory) and 2 (outside)'));
    if (!def.members) members = { kind: 'distinct' };
    else if (Array.isArray(def.members)) {
      members = { kind: 'inline', members: def.members.map((m) => ({ key: m.key, label: label(m.label, String(m.key)), description: m.description })) };
      const type = def.type ?? 'string';
      const seen = new Set<string | number>();
      def.members.forEach((m, i) => {
        if (seen.has(m.key)) issues.push(issueAt(at, [...path, 'members', i, 'key'], `member key ${JSON.stringify(m.key)} is listed twice`));
        seen.add(m.key);
        if ((type === 'integer') !== (typeof m.key === 'number'))
          issues.push(issueAt(at, [...path, 'members', i, 'key'], `member key ${JSON.stringify(m.key)} is not of the dimension type (${type})`));
      });
    } else members = { kind: 'table', ...def.members };
  }
  return {
    name,
    label: label(def.label, name),
    description: def.description,
    key,
    type: def.bands ? 'string' : (def.type ?? 'string'),
    ordered: def.bands ? true : (def.ordered ?? false),
    members,
    provenance: def.provenance ?? 'reale',
    territorial: Boolean(def.territorial || def.relative_to_scope),
  };
}

function checkBands(ranges: Band[]): string | undefined {
  const keys = new Set<string>();
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i];
    if (keys.has(r.key)) return `band key "${r.key}" is used twice`;
    keys.add(r.key);
    if (i < ranges.length - 1 && r.to === undefined) return `band "${r.key}" needs "to" (only the last band may be open-ended)`;
    if (i > 0 && r.from === undefined) return `band "${r.key}" needs "from" (only the first band may be open-ended)`;
    if (r.from !== undefined && r.to !== undefined && r.from > r.to) return `band "${r.key}" has from > to`;
    if (i > 0 && ranges[i - 1].to !== undefined && r.from !== undefined && r.from <= ranges[i - 1].to!)
      return `band "${r.key}" overlaps the previous band (from ${r.from} <= ${ranges[i - 1].to})`;
  }
  return undefined;
}

function resolveMeasure(name: string, m: MeasureFile, file: CubeFile, dimensions: Map<string, Dimension>, at: ParsedFile, issues: ModelIssue[]): Measure | undefined {
  const path = ['measures', name];
  const common = { name, label: label(m.label, name), definition: m.definition, format: m.format };
  if (m.type === 'ratio') {
    if (!m.numerator || !m.denominator) {
      issues.push(issueAt(at, path, 'a ratio needs "numerator" and "denominator"'));
      return undefined;
    }
    for (const [part, ref] of [['numerator', m.numerator], ['denominator', m.denominator]] as const) {
      if (typeof ref !== 'string') continue;
      const target = file.measures[ref];
      if (!target) issues.push(issueAt(at, [...path, part], `unknown measure "${ref}"; this cube has: ${Object.keys(file.measures).join(', ')}`));
      else if (target.type === 'ratio') issues.push(issueAt(at, [...path, part], `"${ref}" is itself a ratio; use a sum, count or distinct count`));
    }
    const denominator = typeof m.denominator === 'string' ? { measure: m.denominator } : { cube: m.denominator.cube, measure: m.denominator.measure };
    return { ...common, kind: 'ratio', numerator: m.numerator, denominator, additive: false };
  }
  if (m.numerator || m.denominator) issues.push(issueAt(at, path, `"numerator"/"denominator" only apply to type ratio`));
  if (MEASURE_KINDS[m.type].column === 'required' && !m.column) issues.push(issueAt(at, path, `type ${m.type} needs "column"`));
  const where: Record<string, readonly (string | number)[]> = {};
  for (const [dim, keys] of Object.entries(m.where ?? {})) {
    if (!dimensions.has(dim)) {
      if (!(dim in file.dimensions)) issues.push(issueAt(at, [...path, 'where', dim], `unknown dimension "${dim}"`));
      continue;
    }
    where[dim] = keys;
  }
  return { ...common, kind: m.type, column: m.column, where, additive: MEASURE_KINDS[m.type].additive };
}
