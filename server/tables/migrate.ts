/**
 * `npm run schema`: brings the declared source tables to their declaration.
 * Additive changes (a new table, a new column) are applied; so are widenings
 * that keep every value (Date -> Date32, T -> Nullable(T)), by rewriting the
 * table atomically: a new table with the declared columns, INSERT … SELECT of
 * every row, EXCHANGE TABLES, the old one dropped. Anything that could lose
 * data (a column dropped or narrowed, a different sorting or batch key) is
 * refused with an explanation and nothing is applied. Idempotent.
 */
import type { Engine } from '../engine/client.ts';
import { quoteIdentifier } from '../engine/client.ts';
import { invariant } from '../errors.ts';
import type { Model, TableDef } from '../model/types.ts';
import { createTableSql, normaliseType, storedType } from './ddl.ts';

export interface MigrationStep {
  table: string;
  action: 'create_table' | 'add_column' | 'widen_columns';
  column?: string;
  /** What is run, for the person reading the plan (the statements joined). */
  sql: string;
  /** The statements, when more than one. */
  statements?: string[];
}

/** Prefix of the table a widening builds before swapping it in; a leftover one is dropped by the next run. */
export const MIGRATION_PREFIX = '_mig_';

/** A type change that keeps every value: Date -> Date32, T -> Nullable(T), or both. */
export function isSafeWidening(from: string, to: string): boolean {
  const f = normaliseType(from);
  const t = normaliseType(to);
  const base = (x: string) => x.replace(/^LowCardinality\(Nullable\((.*)\)\)$/, 'LowCardinality($1)').replace(/^Nullable\((.*)\)$/, '$1');
  const nullable = (x: string) => /^(LowCardinality\()?Nullable\(/.test(x);
  if (nullable(f) && !nullable(t)) return false;
  const [bf, bt] = [base(f), base(t)];
  return f !== t && (bf === bt || (bf === 'Date' && bt === 'Date32'));
}

export interface Refusal {
  table: string;
  file: string;
  reason: string;
}

export interface MigrationPlan {
  steps: MigrationStep[];
  refusals: Refusal[];
  /** Declared tables already as declared. */
  upToDate: string[];
}

interface ExistingColumn {
  name: string;
  type: string;
}

const keyList = (cols: readonly string[]) => cols.join(', ');
const sameKey = (actual: string, declared: readonly string[]) => actual.replace(/[()\s`]/g, '') === declared.join(',');

async function existingTable(engine: Engine, name: string) {
  const [table] = await engine.query<{ partition_key: string; sorting_key: string; engine: string }>(
    'SELECT partition_key, sorting_key, engine FROM system.tables WHERE database = {db:String} AND name = {name:String}',
    { db: engine.database, name },
  );
  if (!table) return undefined;
  const columns = await engine.query<ExistingColumn>(
    'SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {name:String} ORDER BY position',
    { db: engine.database, name },
  );
  return { ...table, columns };
}

export async function planMigration(engine: Engine, model: Model): Promise<MigrationPlan> {
  const plan: MigrationPlan = { steps: [], refusals: [], upToDate: [] };
  for (const table of model.tables.values()) await planTable(engine, table, plan);
  return plan;
}

async function planTable(engine: Engine, table: TableDef, plan: MigrationPlan): Promise<void> {
  const existing = await existingTable(engine, table.name);
  if (!existing) {
    plan.steps.push({ table: table.name, action: 'create_table', sql: createTableSql(engine, table) });
    return;
  }
  const refuse = (reason: string) => plan.refusals.push({ table: table.name, file: table.file, reason });
  const before = plan.steps.length + plan.refusals.length;
  if (!existing.engine.endsWith('MergeTree')) refuse(`la tabella esiste con motore ${existing.engine}, non MergeTree: non è una tabella gestita da questo file`);
  if (!sameKey(existing.sorting_key, table.orderBy))
    refuse(`l'ordinamento dichiarato (order_by: ${keyList(table.orderBy)}) è diverso da quello della tabella (${existing.sorting_key}); cambiarlo richiede di riscrivere la tabella: crearne una nuova con un altro nome e caricarla`);
  if (!sameKey(existing.partition_key, table.batch))
    refuse(`il lotto dichiarato (batch: ${keyList(table.batch) || 'nessuno'}) è diverso dalla partizione della tabella (${existing.partition_key || 'nessuna'}); cambiarlo richiede di riscrivere la tabella`);
  const declared = new Map(table.columns.map((c) => [c.name, c]));
  const widened: string[] = [];
  for (const col of existing.columns) {
    const want = declared.get(col.name);
    if (!want) refuse(`la colonna ${col.name} (${col.type}) esiste nella tabella ma non è più dichiarata: eliminarla cancellerebbe i suoi dati. Se va davvero eliminata: ALTER TABLE ${table.name} DROP COLUMN ${col.name}`);
    else if (normaliseType(storedType(want)) === normaliseType(col.type)) continue;
    else if (isSafeWidening(col.type, storedType(want))) widened.push(`${col.name} ${col.type} -> ${storedType(want)}`);
    else refuse(`la colonna ${col.name} è ${col.type} nella tabella ma ${storedType(want)} nel file: cambiare tipo può perdere o alterare dati; aggiungere una colonna con un nuovo nome`);
  }
  if (widened.length && !plan.refusals.some((r) => r.table === table.name)) {
    // One atomic rewrite: the declared table (new columns included) filled with every row, then swapped in.
    const mig = `${MIGRATION_PREFIX}${table.name}`;
    const kept = existing.columns.filter((c) => declared.has(c.name)).map((c) => quoteIdentifier(c.name)).join(', ');
    const statements = [
      `DROP TABLE IF EXISTS ${engine.table(mig)} SYNC`,
      createTableSql(engine, table, mig),
      `INSERT INTO ${engine.table(mig)} (${kept}) SELECT ${kept} FROM ${engine.table(table.name)}`,
      `EXCHANGE TABLES ${engine.table(table.name)} AND ${engine.table(mig)}`,
      `DROP TABLE ${engine.table(mig)} SYNC`,
    ];
    plan.steps.push({ table: table.name, action: 'widen_columns', column: widened.join(', '), sql: statements.join(';\n'), statements });
    plan.upToDate = plan.upToDate.filter((t) => t !== table.name);
    return;
  }
  const have = new Set(existing.columns.map((c) => c.name));
  let previous: string | undefined;
  for (const col of table.columns) {
    if (!have.has(col.name)) {
      const position = previous ? ` AFTER ${quoteIdentifier(previous)}` : ' FIRST';
      plan.steps.push({ table: table.name, action: 'add_column', column: col.name, sql: `ALTER TABLE ${engine.table(table.name)} ADD COLUMN ${quoteIdentifier(col.name)} ${storedType(col)}${position}` });
    }
    previous = col.name;
  }
  if (plan.steps.length + plan.refusals.length === before) plan.upToDate.push(table.name);
}

/** Applies a plan with no refusals; a plan with refusals applies nothing. */
export async function applyMigration(engine: Engine, plan: MigrationPlan): Promise<void> {
  // Callers show the refusals and stop first (SCHEMA_REFUSED): reaching here is a defect.
  invariant(!plan.refusals.length, 'migration refused: nothing applied');
  for (const step of plan.steps) for (const sql of step.statements ?? [step.sql]) await engine.command(sql);
}
