/** SQL for declared source tables: column types and CREATE TABLE, from the model only (never from a request). */
import type { Engine } from '../engine/client.ts';
import { quoteIdentifier } from '../engine/client.ts';
import type { TableColumn, TableDef } from '../model/types.ts';

/** The ClickHouse type of a column as stored: Nullable when not required. */
export function storedType(column: TableColumn): string {
  if (column.required) return column.type;
  if (column.type === 'LowCardinality(String)') return 'LowCardinality(Nullable(String))';
  return `Nullable(${column.type})`;
}

/** Type names as ClickHouse prints them in system.columns, for comparison. */
export function normaliseType(type: string): string {
  return type.replace(/\s+/g, '').replace(/,/g, ', ');
}

export function createTableSql(engine: Engine, table: TableDef, as: string = table.name): string {
  const columns = table.columns.map((c) => `${quoteIdentifier(c.name)} ${storedType(c)}`).join(', ');
  const partition = table.batch.length ? ` PARTITION BY (${table.batch.map(quoteIdentifier).join(', ')})` : '';
  return `CREATE TABLE ${engine.table(as)} (${columns}) ENGINE = MergeTree${partition} ORDER BY (${table.orderBy.map(quoteIdentifier).join(', ')})`;
}
