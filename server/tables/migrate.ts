/**
 * `npm run schema`: brings the declared source tables to their declaration.
 * Additive changes (a new table, a new column) are applied; anything that
 * could lose data (a column dropped or retyped, a different sorting or batch
 * key) is refused with an explanation and nothing is applied. Idempotent.
 */
import type { Engine } from '../engine/client.ts';
import { quoteIdentifier } from '../engine/client.ts';
import type { Model, TableDef } from '../model/types.ts';
import { createTableSql, normaliseType, storedType } from './ddl.ts';

export interface MigrationStep {
  table: string;
  action: 'create_table' | 'add_column';
  column?: string;
  sql: string;
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
  for (const col of existing.columns) {
    const want = declared.get(col.name);
    if (!want) refuse(`la colonna ${col.name} (${col.type}) esiste nella tabella ma non è più dichiarata: eliminarla cancellerebbe i suoi dati. Se va davvero eliminata: ALTER TABLE ${table.name} DROP COLUMN ${col.name}`);
    else if (normaliseType(storedType(want)) !== normaliseType(col.type))
      refuse(`la colonna ${col.name} è ${col.type} nella tabella ma ${storedType(want)} nel file: cambiare tipo può perdere o alterare dati; aggiungere una colonna con un nuovo nome`);
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
  if (plan.refusals.length) throw new Error('migration refused: nothing applied');
  for (const step of plan.steps) await engine.command(step.sql);
}
