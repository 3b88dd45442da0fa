/**
 * The publishing half of a load: what the staging table would replace (rows
 * per batch, for the shrink guard), the table to swap in (the current table's
 * untouched batches plus the staging batches, hard links, no copy), the swap
 * itself (EXCHANGE TABLES), and dropping the tables a load leaves behind
 * synchronously (without SYNC the engine keeps their parts for 8 minutes).
 */
import type { Engine } from '../engine/client.ts';
import type { TableDef } from '../model/types.ts';
import type { BatchRows } from './guards.ts';

interface Partition {
  id: string;
  p: string;
  rows: number;
}

async function partitions(engine: Engine, name: string): Promise<Partition[]> {
  const rows = await engine.query<Partition>(
    'SELECT partition_id AS id, any(partition) AS p, sum(rows) AS rows FROM system.parts WHERE database = {db:String} AND table = {t:String} AND active GROUP BY partition_id ORDER BY p',
    { db: engine.database, t: name },
  );
  return rows.map((r) => ({ ...r, rows: Number(r.rows) }));
}

/** The batches (partition values) a staging table holds. */
export async function stagedBatches(engine: Engine, staging: string): Promise<string[]> {
  return (await partitions(engine, staging)).map((p) => p.p);
}

/** Rows replaced and loaded per batch; one entry with batch '' when the load replaces the whole table (no batches, or demo data). */
export async function batchRows(engine: Engine, table: TableDef, staging: string, wholeTable: boolean): Promise<BatchRows[]> {
  const loaded = await partitions(engine, staging);
  const current = await partitions(engine, table.name);
  if (!table.batch.length || wholeTable) {
    const sum = (ps: Partition[]) => ps.reduce((s, p) => s + p.rows, 0);
    return [{ batch: '', replaced: sum(current), loaded: sum(loaded) }];
  }
  const before = new Map(current.map((p) => [p.id, p.rows]));
  return loaded.map((p) => ({ batch: p.p, replaced: before.get(p.id) ?? 0, loaded: p.rows }));
}

/** The table to swap in: the staging table itself, or a shadow assembled from the current table's other batches and the staging batches. */
export async function assembleIncoming(engine: Engine, table: TableDef, staging: string, shadow: string, wholeTable: boolean): Promise<string> {
  if (!table.batch.length || wholeTable) return staging;
  const loaded = await partitions(engine, staging);
  const replaced = new Set(loaded.map((p) => p.id));
  await engine.command(`CREATE TABLE ${engine.table(shadow)} AS ${engine.table(table.name)}`);
  for (const p of await partitions(engine, table.name))
    if (!replaced.has(p.id)) await engine.command(`ALTER TABLE ${engine.table(shadow)} ATTACH PARTITION ID {id:String} FROM ${engine.table(table.name)}`, { id: p.id });
  for (const p of loaded) await engine.command(`ALTER TABLE ${engine.table(shadow)} ATTACH PARTITION ID {id:String} FROM ${engine.table(staging)}`, { id: p.id });
  return shadow;
}

export async function tableUuid(engine: Engine, name: string): Promise<string | undefined> {
  const [row] = await engine.query<{ uuid: string }>('SELECT toString(uuid) AS uuid FROM system.tables WHERE database = {db:String} AND name = {t:String}', { db: engine.database, t: name });
  return row?.uuid;
}

export async function tableByUuid(engine: Engine, uuid: string): Promise<string | undefined> {
  const [row] = await engine.query<{ name: string }>('SELECT name FROM system.tables WHERE database = {db:String} AND toString(uuid) = {u:String}', { db: engine.database, u: uuid });
  return row?.name;
}

export async function swap(engine: Engine, table: string, incoming: string): Promise<void> {
  await engine.command(`EXCHANGE TABLES ${engine.table(table)} AND ${engine.table(incoming)}`);
}

/** Drops a load's leftover table now, parts included (SYNC), so that its space is free at once. */
export async function dropNow(engine: Engine, name: string): Promise<void> {
  await engine.command(`DROP TABLE IF EXISTS ${engine.table(name)} SYNC`);
}
