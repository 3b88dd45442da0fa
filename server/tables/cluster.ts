/**
 * DDL for a ClickHouse cluster, from the declared tables (`npm run schema --
 * --cluster NAME --print`). Each declared table becomes a ReplicatedMergeTree
 * `<name>_local` on every shard plus a Distributed `<name>` over them, sharded
 * by the person id, so that all rows of a person live on one shard and
 * distinct counts of persons stay exact (and can be counted shard by shard).
 * The reference tables (territory, providers, codes, data versions, load
 * journal) are small: one full replica on every node, so lookups stay local.
 * Identifiers come from the model and the configuration only.
 */
import { quoteIdentifier } from '../engine/client.ts';
import type { Model, TableDef } from '../model/types.ts';
import { storedType } from './ddl.ts';

export interface ClusterDdlOptions {
  cluster: string;
  database: string;
  /** Reference tables created by the server itself (name -> column list and engine clause of a plain MergeTree). */
  reference?: Readonly<Record<string, { columns: string; engine: string }>>;
}

/** The column the rows of a table are sharded by: the person of a cube on it (disclosure), else the column of a distinct count, else its first sort column. */
export function shardingColumn(model: Model, table: TableDef): string {
  const cubes = [...model.cubes.values()].filter((c) => c.table === table.name);
  const has = (name: string | undefined) => name !== undefined && table.columns.some((c) => c.name === name);
  for (const c of cubes) if (has(c.disclosure?.person)) return c.disclosure!.person;
  for (const c of cubes) for (const m of c.measures.values()) if (m.kind === 'count_distinct' && has(m.column)) return m.column!;
  return table.orderBy[0];
}

/** One statement per array item, without the trailing semicolon. */
export function clusterDdl(model: Model, opts: ClusterDdlOptions): string[] {
  const on = `ON CLUSTER ${quoteIdentifier(opts.cluster)}`;
  const db = quoteIdentifier(opts.database);
  const out = [`CREATE DATABASE IF NOT EXISTS ${db} ${on}`];
  for (const table of model.tables.values()) {
    const local = `${table.name}_local`;
    const columns = table.columns.map((c) => `${quoteIdentifier(c.name)} ${storedType(c)}`).join(', ');
    const partition = table.batch.length ? ` PARTITION BY (${table.batch.map(quoteIdentifier).join(', ')})` : '';
    out.push(
      `CREATE TABLE IF NOT EXISTS ${db}.${quoteIdentifier(local)} ${on} (${columns}) ` +
        `ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/${opts.database}/${local}', '{replica}')${partition} ORDER BY (${table.orderBy.map(quoteIdentifier).join(', ')})`,
    );
    out.push(
      `CREATE TABLE IF NOT EXISTS ${db}.${quoteIdentifier(table.name)} ${on} AS ${db}.${quoteIdentifier(local)} ` +
        `ENGINE = Distributed(${quoteIdentifier(opts.cluster)}, ${db}, ${quoteIdentifier(local)}, cityHash64(${quoteIdentifier(shardingColumn(model, table))}))`,
    );
  }
  for (const [name, ref] of Object.entries(opts.reference ?? {})) {
    if (model.tables.has(name)) continue;
    // Same replication path on every shard: each node holds the whole table.
    const engine = ref.engine.replace(/^ENGINE = MergeTree\b/, `ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/${opts.database}/${name}', '{replica}')`);
    out.push(`CREATE TABLE IF NOT EXISTS ${db}.${quoteIdentifier(name)} ${on} (${ref.columns.replace(/--[^\n]*/g, '').replace(/\s+/g, ' ').trim()}) ${engine}`);
  }
  return out;
}
