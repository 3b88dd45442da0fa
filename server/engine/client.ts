/**
 * The one ClickHouse client of the process. Two transports behind the same
 * `@clickhouse/client` API: embedded chDB (default) or HTTP to a server.
 */
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';

export interface EngineConfig {
  /** HTTP URL of a ClickHouse server; when absent the embedded engine is used. */
  url?: string;
  user?: string;
  password?: string;
  /** Database holding our tables (created if missing). */
  database: string;
  /** Data directory of the embedded engine. */
  dataDir: string;
}

export type QueryParams = Record<string, unknown>;

export interface Engine {
  readonly transport: 'embedded' | 'server';
  readonly database: string;
  /** Fully qualified, quoted name of one of our tables: every SQL statement names tables this way. */
  table(name: string): string;
  /** Runs a SELECT and returns rows as plain objects (numbers normalised by `normaliseRow`). */
  query<T = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<T[]>;
  /** Runs DDL / INSERT … SELECT and other statements without a result set. */
  command(sql: string, params?: QueryParams): Promise<void>;
  /** Inserts rows given as objects (JSONEachRow). */
  insert(table: string, rows: readonly Record<string, unknown>[]): Promise<void>;
  /** Inserts rows already written in a ClickHouse input format (e.g. TabSeparated), columns in table order. */
  insertText(table: string, format: 'TabSeparated', text: string): Promise<void>;
  close(): Promise<void>;
}

/** Settings that make both transports return the same JSON. */
const SETTINGS = {
  output_format_json_quote_64bit_integers: 0,
  output_format_json_quote_decimals: 0,
  output_format_json_quote_64bit_floats: 0,
} as const;

export async function openEngine(config: EngineConfig): Promise<Engine> {
  let client: ClickHouseClient;
  let transport: Engine['transport'];
  if (config.url) {
    transport = 'server';
    client = createClient({
      url: config.url,
      username: config.user ?? 'default',
      password: config.password ?? '',
      clickhouse_settings: SETTINGS,
    });
  } else {
    transport = 'embedded';
    const path = resolve(config.dataDir);
    mkdirSync(path, { recursive: true });
    const { createChdbConnection } = await import('chdb/connection');
    client = createClient({ connection: createChdbConnection({ path }), clickhouse_settings: SETTINGS } as never);
  }
  const database = config.database;
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)}` });

  return {
    transport,
    database,
    table: (name: string) => `${quoteIdentifier(database)}.${quoteIdentifier(name)}`,
    async query<T>(sql: string, params: QueryParams = {}) {
      const rs = await client.query({ query: sql, query_params: params, format: 'JSONEachRow'});
      return (await rs.json()) as T[];
    },
    async command(sql: string, params: QueryParams = {}) {
      await client.command({ query: sql, query_params: params });
    },
    async insert(table: string, rows: readonly Record<string, unknown>[]) {
      if (rows.length === 0) return;
      await client.insert({ table: `${quoteIdentifier(database)}.${quoteIdentifier(table)}`, values: rows as Record<string, unknown>[], format: 'JSONEachRow' });
    },
    async insertText(table: string, format: 'TabSeparated', text: string) {
      if (!text) return;
      await client.insert({ table: `${quoteIdentifier(database)}.${quoteIdentifier(table)}`, values: Readable.from([Buffer.from(text)], { objectMode: false }), format });
    },
    async close() {
      await client.close();
    },
  };
}

/** Quotes an identifier that comes from the validated model or configuration, never from a request. */
export function quoteIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid identifier: ${JSON.stringify(name)}`);
  return `\`${name}\``;
}
