/**
 * Lanes: several connections to the one embedded engine, so that a cheap query
 * runs while a heavy one is still computing.
 *
 * Why not chdb's own parameter binding: chdb 3.4 keeps bound parameters in
 * state that is not isolated between connections, so chdb-node runs every
 * parameterised query of the process one after the other (measured: a
 * one-comune query waited the whole 1 s of a heavy national one; without
 * parameters the same query, on a second connection, answered in 9–60 ms
 * while the heavy one ran).
 *
 * So on a lane the parameters travel as data, never as SQL text: they are
 * written as one JSONEachRow row into a temporary table of that connection
 * (`query_params`, one typed column per parameter, parsed by the engine's
 * format reader), and each `{name:Type}` placeholder becomes
 * `CAST((SELECT name FROM query_params) AS Type)`: a scalar subquery the
 * engine evaluates once, before planning, so the primary key and partition
 * pruning see a constant exactly as with bound parameters (checked with
 * EXPLAIN indexes = 1). A lane runs one statement at a time; its temporary
 * table and its settings belong to its connection alone.
 */
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { invariant } from '../errors.ts';

/** `{name:Type}`: the placeholders the compiler writes (names and types come from our code, never from a request). */
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*):([A-Za-z0-9_(), ]+)\}/g;
const PARAMS_TABLE = 'query_params';

export interface DataBound {
  /** The statement with every placeholder read from the parameters table. */
  readonly sql: string;
  /** Column definitions of the parameters table (empty when the statement has no placeholders). */
  readonly columns: string;
  /** The one row of the parameters table. */
  readonly row: Record<string, unknown>;
}

/** Rewrites a statement with `{name:Type}` placeholders to read its parameters from `query_params`. */
export function bindAsData(sql: string, params: Record<string, unknown>): DataBound {
  const types = new Map<string, string>();
  const rewritten = sql.replace(PLACEHOLDER, (_, name: string, type: string) => {
    const t = type.trim();
    const seen = types.get(name);
    invariant(seen === undefined || seen === t, `parameter ${name} used with two types (${seen}, ${t})`);
    invariant(name in params, `parameter ${name} has no value`);
    types.set(name, t);
    return `CAST((SELECT ${name} FROM ${PARAMS_TABLE}) AS ${t})`;
  });
  const row: Record<string, unknown> = {};
  for (const name of types.keys()) row[name] = jsonValue(params[name]);
  return { sql: rewritten, columns: [...types].map(([n, t]) => `${n} ${t}`).join(', '), row };
}

/** JSON keeps 64-bit integers exact only as text; the engine's JSON reader accepts quoted numbers. */
function jsonValue(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(jsonValue);
  return v;
}

export interface Lane {
  query<T>(sql: string, params: Record<string, unknown>, settings: Record<string, unknown>): Promise<T[]>;
  close(): Promise<void>;
}

/** One connection of the embedded engine that binds parameters as data. */
export async function openLane(path: string, baseSettings: Record<string, unknown>): Promise<Lane> {
  const { createChdbConnection } = await import('chdb/connection');
  const client: ClickHouseClient = createClient({ connection: createChdbConnection({ path }), clickhouse_settings: baseSettings } as never);
  return {
    async query<T>(sql: string, params: Record<string, unknown>, settings: Record<string, unknown>) {
      const bound = bindAsData(sql, params);
      if (bound.columns) {
        // Two statements in one call (about 2 ms per query in all, measured).
        await client.command({ query: `DROP TEMPORARY TABLE IF EXISTS ${PARAMS_TABLE}; CREATE TEMPORARY TABLE ${PARAMS_TABLE} (${bound.columns}) ENGINE = Memory` });
        await client.insert({ table: PARAMS_TABLE, values: [bound.row], format: 'JSONEachRow' });
      }
      const rs = await client.query({ query: bound.sql, format: 'JSONEachRow', clickhouse_settings: settings as never });
      return (await rs.json()) as T[];
    },
    close: () => client.close(),
  };
}

/** A bounded pool of lanes, opened on first use; a caller waits for a free lane. */
export class LanePool {
  private readonly idle: Lane[] = [];
  private readonly busy = new Set<Lane>();
  private readonly waiting: { resolve: (lane: Lane) => void; reject: (err: Error) => void }[] = [];
  private opening = 0;
  private closed = false;
  private drained?: () => void;

  constructor(
    private readonly size: number,
    private readonly open: () => Promise<Lane>,
  ) {}

  async run<T>(fn: (lane: Lane) => Promise<T>): Promise<T> {
    const lane = await this.acquire();
    try {
      return await fn(lane);
    } finally {
      this.release(lane);
    }
  }

  private async acquire(): Promise<Lane> {
    if (this.closed) throw new Error('engine closed');
    const free = this.idle.pop();
    if (free) return this.take(free);
    if (this.busy.size + this.idle.length + this.opening < this.size) {
      this.opening++;
      try {
        return this.take(await this.open());
      } finally {
        this.opening--;
        this.settle();
      }
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private take(lane: Lane): Lane {
    this.busy.add(lane);
    return lane;
  }

  private release(lane: Lane): void {
    this.busy.delete(lane);
    const next = this.waiting.shift();
    if (next) return next.resolve(this.take(lane));
    this.idle.push(lane);
    this.settle();
  }

  /** No lane at work or being opened: a pending close may go on (a lane opened during close is closed too). */
  private settle(): void {
    if (this.closed && this.busy.size === 0 && this.opening === 0) this.drained?.();
  }

  /** Refuses new work, waits for the lanes at work or being opened, then closes every connection. */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.reject(new Error('engine closed'));
    if (this.busy.size > 0 || this.opening > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    await Promise.all(this.idle.splice(0).map((l) => l.close()));
  }
}
