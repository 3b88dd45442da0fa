/**
 * The one ClickHouse client of the process. Two transports behind the same
 * `@clickhouse/client` API: embedded chDB (default) or HTTP to a server.
 */
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { invariant } from '../errors.ts';
import { DEFAULT_LIMITS, limitSettings, unavailableError, UNLIMITED, type EngineLimits } from './limits.ts';
import { LanePool, openLane } from './lanes.ts';
import { DEFAULT_SCHEDULER, Scheduler, type SchedulerOptions } from './scheduler.ts';

export interface EngineConfig {
  /** HTTP URL of a ClickHouse server; when absent the embedded engine is used. */
  url?: string;
  user?: string;
  password?: string;
  /** Database holding our tables (created if missing). */
  database: string;
  /** Data directory of the embedded engine. */
  dataDir: string;
  /** Limits of data-path queries (default DEFAULT_LIMITS). */
  limits?: Partial<EngineLimits>;
  /** The scheduler in front of the engine (default: 3 queries at once of which 1 heavy embedded, 4 of which 3 heavy on a server). */
  scheduler?: Partial<SchedulerOptions>;
}

export interface QueryOptions {
  /** A data-path query: it carries the engine limits (max_execution_time, max_memory_usage, max_result_rows, max_rows_to_group_by). */
  limited?: boolean;
  /** At most this many engine threads (`max_threads`): a heavy query leaves cores to cheap ones. */
  maxThreads?: number;
  /** Parameters bound by the engine itself, also in table function arguments and SETTINGS (a load reading its file): embedded, on the main connection rather than a lane. */
  nativeParams?: boolean;
}

export type QueryParams = Record<string, unknown>;

export interface Engine {
  readonly transport: 'embedded' | 'server';
  readonly database: string;
  /** Fully qualified, quoted name of one of our tables: every SQL statement names tables this way. */
  table(name: string): string;
  /** Limits of data-path queries. */
  readonly limits: EngineLimits;
  /** Where data-path queries wait for their turn (per principal, cheapest first). */
  readonly scheduler: Scheduler;
  /** Runs a SELECT and returns rows as plain objects (numbers normalised by `normaliseRow`). */
  query<T = Record<string, unknown>>(sql: string, params?: QueryParams, options?: QueryOptions): Promise<T[]>;
  /** Runs DDL / INSERT … SELECT and other statements without a result set. */
  command(sql: string, params?: QueryParams): Promise<void>;
  /** Inserts rows given as objects (JSONEachRow). */
  insert(table: string, rows: readonly Record<string, unknown>[]): Promise<void>;
  /** Inserts rows already written in a ClickHouse input format (e.g. TabSeparated), columns in table order. */
  insertText(table: string, format: 'TabSeparated', text: string): Promise<void>;
  /** Runs an `INSERT … FORMAT X` statement whose data is a byte stream (a load's file sent to a server, read there by `input()`), with the input format's settings. */
  insertStream(sql: string, params: QueryParams, body: Readable, formatSettings?: Record<string, string | number>): Promise<void>;
  close(): Promise<void>;
}

/** Settings that make both transports return the same JSON. */
const SETTINGS = {
  output_format_json_quote_64bit_integers: 0,
  output_format_json_quote_decimals: 0,
  output_format_json_quote_64bit_floats: 0,
} as const;

export async function openEngine(config: EngineConfig): Promise<Engine> {
  const engine = await createEngine(config);
  await engine.command(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(engine.database)}`);
  return engine;
}

/** The engine without touching it (no round trip): `openEngine` also creates the database. */
export async function createEngine(config: EngineConfig): Promise<Engine> {
  const limits: EngineLimits = { ...DEFAULT_LIMITS, ...config.limits };
  let client: ClickHouseClient;
  let transport: Engine['transport'];
  /** Embedded only: the connections that run SELECTs side by side (see lanes.ts). */
  let lanes: LanePool | undefined;
  const scheduler = new Scheduler(schedulerOptions(config));
  if (config.url) {
    transport = 'server';
    client = createClient({
      url: config.url,
      username: config.user ?? 'default',
      password: config.password ?? '',
      clickhouse_settings: SETTINGS,
      // The engine stops a query at max_execution_time; the socket waits a little longer for its answer.
      request_timeout: (limits.maxExecutionTime + 10) * 1000,
    });
  } else {
    transport = 'embedded';
    const path = resolve(config.dataDir);
    mkdirSync(path, { recursive: true });
    const { createChdbConnection } = await import('chdb/connection');
    client = createClient({ connection: createChdbConnection({ path }), clickhouse_settings: SETTINGS } as never);
    // Two lanes beyond the scheduler's slots, for the reads it does not schedule (member lists, labels, cost counts).
    lanes = new LanePool(scheduler.options.concurrency + 2, () => openLane(path, SETTINGS));
  }
  const database = config.database;
  const limited = limitSettings(limits);
  const settings = (o?: QueryOptions) => ({ ...(o?.limited ? limited : UNLIMITED), max_threads: o?.maxThreads ?? 0 }) as never;

  return {
    transport,
    database,
    limits,
    scheduler,
    table: (name: string) => `${quoteIdentifier(database)}.${quoteIdentifier(name)}`,
    async query<T>(sql: string, params: QueryParams = {}, options?: QueryOptions) {
      if (lanes && !options?.nativeParams) return guard(() => lanes.run((lane) => lane.query<T>(sql, params, settings(options))));
      return guard(async () => {
        const rs = await client.query({ query: sql, query_params: params, format: 'JSONEachRow', clickhouse_settings: settings(options) });
        return (await rs.json()) as T[];
      });
    },
    async command(sql: string, params: QueryParams = {}) {
      await guard(() => client.command({ query: sql, query_params: params, clickhouse_settings: settings() }));
    },
    async insert(table: string, rows: readonly Record<string, unknown>[]) {
      if (rows.length === 0) return;
      await guard(() => client.insert({ table: `${quoteIdentifier(database)}.${quoteIdentifier(table)}`, values: rows as Record<string, unknown>[], format: 'JSONEachRow', clickhouse_settings: settings() }));
    },
    async insertText(table: string, format: 'TabSeparated', text: string) {
      if (!text) return;
      await guard(() => client.insert({ table: `${quoteIdentifier(database)}.${quoteIdentifier(table)}`, values: Readable.from([Buffer.from(text)], { objectMode: false }), format, clickhouse_settings: settings() }));
    },
    async insertStream(sql: string, params: QueryParams, body: Readable, formatSettings = {}) {
      await guard(async () => {
        const result = await client.exec({ query: sql, query_params: params, values: body, clickhouse_settings: { ...(settings() as object), ...formatSettings } as never });
        for await (const _ of result.stream);
      });
    },
    async close() {
      await lanes?.close();
      await client.close();
    },
  };
}

/**
 * Embedded: 3 at once, 1 heavy (on 2 cores two heavy queries gain nothing together).
 * Server: 4 at once, all but one heavy. A configured concurrency keeps one slot for cheap queries
 * unless the heavy concurrency is configured too.
 */
function schedulerOptions(config: EngineConfig): SchedulerOptions {
  const concurrency = config.scheduler?.concurrency ?? (config.url ? 4 : DEFAULT_SCHEDULER.concurrency);
  const heavy = config.scheduler?.heavyConcurrency ?? (config.url ? Math.max(1, concurrency - 1) : DEFAULT_SCHEDULER.heavyConcurrency);
  return { ...DEFAULT_SCHEDULER, ...config.scheduler, concurrency, heavyConcurrency: Math.min(heavy, concurrency) };
}

/** An engine that cannot be reached or has failed as a whole answers 503 (ENGINE_UNAVAILABLE); query errors pass unchanged. */
async function guard<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw unavailableError(err) ?? err;
  }
}

/** Quotes an identifier that comes from the validated model or configuration, never from a request. */
export function quoteIdentifier(name: string): string {
  invariant(/^[A-Za-z_][A-Za-z0-9_]*$/.test(name), `invalid identifier: ${JSON.stringify(name)}`);
  return `\`${name}\``;
}
