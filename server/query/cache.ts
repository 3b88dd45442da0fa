/**
 * The result cache: protected answers kept in memory, bounded by their size,
 * least recently used out first. The key is everything that determines an
 * answer (see `answerKey`): a load changes a data version, a hot reload
 * changes the model fingerprint, so a new key is asked for and nothing stale
 * is ever served; old entries simply age out. Identical requests in flight
 * share one execution. Values are shared between callers: a kept value is
 * deeply frozen, so a caller that would change it fails loudly instead of
 * changing what the next caller is served, and the JSON serialiser may keep
 * the one serialisation of a frozen answer (server/http/serializer.ts).
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Engine, QueryParams } from '../engine/client.ts';
import type { Model } from '../model/types.ts';
import { compileAggregate } from './compile.ts';
import type { QueryContext } from './execute.ts';
import type { QueryPlan } from '../plan/plan.ts';

export interface CacheStats {
  /** Answers served from memory (or from an identical request in flight). */
  hits: number;
  /** Answers computed. */
  misses: number;
  entries: number;
  /** Approximate memory held by the entries: the length of their JSON. */
  bytes: number;
  maxBytes: number;
  /** Computations running now, and how many of them were asked for by users (not by the warm-up). */
  inFlight: number;
  userInFlight: number;
}

export interface CacheOptions {
  /** Upper bound of the memory held by entries, in bytes (default 256 MiB). */
  maxBytes?: number;
}

export const DEFAULT_CACHE_BYTES = 256 * 1024 * 1024;

/** One entry: the answer and its size. */
interface Entry {
  value: unknown;
  bytes: number;
}

export class ResultCache {
  private readonly store: LRUCache<string, Entry>;
  private readonly inFlight = new Map<string, Promise<unknown>>();
  /** The key each kept value is kept under: what a composition of kept answers is keyed by (`keyOf`). */
  private readonly keys = new WeakMap<object, string>();
  private hits = 0;
  private misses = 0;
  private users = 0;
  readonly maxBytes: number;

  constructor(opts: CacheOptions = {}) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_CACHE_BYTES;
    this.store = new LRUCache<string, Entry>({ maxSize: this.maxBytes, sizeCalculation: (e) => Math.max(1, e.bytes) });
  }

  /**
   * The answer under `key`: from memory, from an identical computation in
   * flight, or computed now by `compute` and kept. Failures are not kept.
   * `background` marks the warm-up's work, which yields to users.
   */
  async get<T>(key: string, compute: () => Promise<T>, opts: { background?: boolean } = {}): Promise<T> {
    const id = digest(key);
    const hit = this.store.get(id);
    if (hit) {
      this.hits++;
      return hit.value as T;
    }
    const running = this.inFlight.get(id);
    if (running) {
      this.hits++;
      return running as Promise<T>;
    }
    this.misses++;
    const user = !opts.background;
    if (user) this.users++;
    const run = (async () => {
      try {
        const value = deepFreeze(await compute());
        const bytes = JSON.stringify(value)?.length ?? 0;
        // An answer larger than the whole cache is served, not kept.
        if (bytes <= this.maxBytes) {
          this.store.set(id, { value, bytes });
          if (value !== null && typeof value === 'object') this.keys.set(value, id);
        }
        return value;
      } finally {
        this.inFlight.delete(id);
        if (user) this.users--;
      }
    })();
    this.inFlight.set(id, run);
    return run;
  }

  /**
   * The key a value this cache returned is kept under, or undefined (a value too large to keep,
   * or not from this cache). Two values with the same key are the same answer.
   */
  keyOf(value: unknown): string | undefined {
    return value !== null && typeof value === 'object' ? this.keys.get(value) : undefined;
  }

  /** Whether an answer is kept under `key` (without touching its recency). */
  has(key: string): boolean {
    return this.store.has(digest(key));
  }

  /** Whether some user's request is being computed now: the warm-up waits for none. */
  busy(): boolean {
    return this.users > 0;
  }

  stats(): CacheStats {
    return { hits: this.hits, misses: this.misses, entries: this.store.size, bytes: this.store.calculatedSize, maxBytes: this.maxBytes, inFlight: this.inFlight.size, userInFlight: this.users };
  }
}

/** Freezes a value and everything it holds (plain objects and arrays: what answers and engine rows are made of). */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
  return value;
}

const digest = (key: string) => createHash('sha256').update(key).digest('base64url');

const fingerprints = new WeakMap<Model, string>();

/**
 * A fingerprint of the model's content (cubes, dimensions, measures, tables,
 * disclosure rules): it changes when a hot reload changes anything, and stays
 * the same across restarts on the same files (ETags stay valid).
 */
export function modelFingerprint(model: Model): string {
  let fp = fingerprints.get(model);
  if (!fp) {
    fp = createHash('sha256').update(stableJson(model)).digest('base64url').slice(0, 22);
    fingerprints.set(model, fp);
  }
  return fp;
}

/** JSON of a value with Maps and Sets as arrays, so model objects can be hashed. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v instanceof Map ? [...v.entries()] : v instanceof Set ? [...v] : typeof v === 'bigint' ? String(v) : v));
}

/**
 * Everything that determines a protected answer: the model (fingerprint),
 * the data version of every source, the disclosure policy of the secured
 * plan (rule, exemption, benchmark thresholds), and the
 * secured plan as the engine sees it, i.e. the compiled SQL and bound
 * parameters of every engine query the answer needs. The scope predicate is
 * part of that SQL, so two scopes never share an entry, while two callers
 * whose secured plans are identical (the Regione benchmark of two ATS of the
 * same region) do.
 */
export async function answerKey(ctx: QueryContext, plan: QueryPlan & { readonly disclosure?: unknown }): Promise<string> {
  const status = await ctx.dataStatus();
  return stableJson([
    'answer',
    modelFingerprint(ctx.model),
    status.versions,
    plan.disclosure ?? null,
    compileAggregate(plan.main, ctx.engine.table),
    plan.crossRatios.map((r) => [r.name, r.numerator, r.measure, r.sharedDimensions, compileAggregate(r.plan, ctx.engine.table)]),
    plan.spec,
    plan.outputs,
    plan.lateOrder,
  ]);
}

/**
 * The engine's rows of a plan, before any disclosure control: model, data versions and the SQL and
 * parameters of every engine query. Used for benchmark plans, whose rows do not depend on the caller.
 */
export async function engineRowsKey(ctx: QueryContext, plan: QueryPlan): Promise<string> {
  const status = await ctx.dataStatus();
  return stableJson([
    'engine-rows',
    modelFingerprint(ctx.model),
    status.versions,
    compileAggregate(plan.main, ctx.engine.table),
    plan.crossRatios.map((r) => compileAggregate(r.plan, ctx.engine.table)),
  ]);
}

/** The protected answer of a secured plan, from the context's cache when it has one. */
export async function cachedAnswer<T>(ctx: QueryContext, plan: QueryPlan & { readonly disclosure?: unknown }, compute: () => Promise<T>): Promise<T> {
  if (!ctx.cache) return compute();
  return ctx.cache.get(await answerKey(ctx, plan), compute, { background: ctx.background });
}

/**
 * A document composed of kept answers (a report: its indicators and tables): kept too, under its
 * own content with each part named by the key it is kept under, so that a repeated request gets
 * the very same frozen object back (and the serialiser its one serialisation). Without a cache, or
 * when a part is not kept (too large), the composition is returned as it is.
 */
export async function cachedComposition<T extends object>(ctx: QueryContext, composed: T, parts: readonly object[]): Promise<T> {
  const cache = ctx.cache;
  if (!cache) return composed;
  const ids = new Map<object, string | undefined>(parts.map((p) => [p, cache.keyOf(p)]));
  if ([...ids.values()].some((id) => id === undefined)) return composed;
  const key = JSON.stringify(['composition', composed], (_k, v: unknown) => (v !== null && typeof v === 'object' && ids.has(v) ? ['part', ids.get(v)] : v));
  return cache.get(key, async () => composed, { background: ctx.background });
}

/**
 * The context's engine with its reads (SELECTs) answered through the cache,
 * keyed by model, data versions, SQL text and parameters (the scope
 * predicate included): for member lists, which carry no disclosure control,
 * so the engine's rows are the answer.
 */
export function cachedReads(ctx: QueryContext): Engine {
  const { cache, engine } = ctx;
  if (!cache) return engine;
  return {
    ...engine,
    table: engine.table,
    async query<T>(sql: string, params: QueryParams = {}): Promise<T[]> {
      const status = await ctx.dataStatus();
      return cache.get(stableJson(['reads', modelFingerprint(ctx.model), status.versions, engine.database, sql, params]), () => engine.query<T>(sql, params), { background: ctx.background });
    },
  };
}
