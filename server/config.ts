/** Server configuration from the environment, validated with zod; defaults make `npm start` work with nothing set. */
import { z } from 'zod';
import { DEFAULT_LIMITS, type EngineLimits } from './engine/limits.ts';
import { DEFAULT_SCHEDULER, type SchedulerOptions } from './engine/scheduler.ts';
import { DEFAULT_THROTTLE, type ThrottleOptions } from './http/throttle.ts';

const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  CLICKHOUSE_URL: z.url().optional(),
  CLICKHOUSE_USER: z.string().optional(),
  CLICKHOUSE_PASSWORD: z.string().optional(),
  CLICKHOUSE_DATABASE: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a database name of letters, digits and _').default('pas'),
  DEMO_ROWS: z.coerce.number().int().min(1000).max(1_000_000_000).default(2_000_000),
  DEMO_SEED: z.coerce.number().int().min(0).default(1),
  DEMO_DATA: z.enum(['true', 'false']).default('true'),
  LOAD_SHRINK_SHARE: z.coerce.number().min(0).max(1).default(0.8),
  TLS_CERT_FILE: z.string().optional(),
  TLS_KEY_FILE: z.string().optional(),
  RESULT_CACHE_MB: z.coerce.number().int().min(0).max(1_000_000).default(256),
  WARM_CACHE: z.enum(['true', 'false']).default('true'),
  // Limits (README "Limiti"): engine settings of every query, cost refusal, scheduler, rate limits.
  QUERY_MAX_EXECUTION_TIME: z.coerce.number().int().min(1).default(DEFAULT_LIMITS.maxExecutionTime),
  QUERY_MAX_MEMORY_MB: z.coerce.number().int().min(16).default(DEFAULT_LIMITS.maxMemoryUsage / 1024 ** 2),
  QUERY_MAX_RESULT_ROWS: z.coerce.number().int().min(1000).default(DEFAULT_LIMITS.maxResultRows),
  QUERY_MAX_GROUPS: z.coerce.number().int().min(1000).default(DEFAULT_LIMITS.maxRowsToGroupBy),
  QUERY_MAX_ESTIMATED_ROWS: z.coerce.number().int().min(1000).default(DEFAULT_LIMITS.maxEstimatedRows),
  ENGINE_CONCURRENCY: z.coerce.number().int().min(1).max(64).optional(),
  ENGINE_HEAVY_CONCURRENCY: z.coerce.number().int().min(1).max(64).optional(),
  QUERY_HEAVY_COST: z.coerce.number().int().min(1).default(DEFAULT_SCHEDULER.heavyCost),
  ENGINE_HEAVY_THREADS: z.coerce.number().int().min(1).max(256).default(DEFAULT_SCHEDULER.heavyThreads),
  ENGINE_CHEAP_THREADS: z.coerce.number().int().min(1).max(256).default(DEFAULT_SCHEDULER.cheapThreads),
  ENGINE_IDLE_HEAVY_THREADS: z.coerce.number().int().min(1).max(256).default(DEFAULT_SCHEDULER.idleHeavyThreads),
  QUERY_PER_PRINCIPAL: z.coerce.number().int().min(1).default(DEFAULT_SCHEDULER.perPrincipal),
  QUERY_QUEUE_MAX: z.coerce.number().int().min(0).default(DEFAULT_SCHEDULER.maxQueue),
  QUERY_QUEUE_PER_PRINCIPAL: z.coerce.number().int().min(0).default(DEFAULT_SCHEDULER.maxQueuedPerPrincipal),
  QUERY_QUEUE_TIMEOUT: z.coerce.number().min(0.1).default(DEFAULT_SCHEDULER.queueTimeoutMs / 1000),
  QUERY_MAX_OVERTAKES: z.coerce.number().int().min(0).default(DEFAULT_SCHEDULER.maxOvertakes),
  RATE_LIMIT: z.enum(['true', 'false']).default('true'),
  RATE_LIMIT_WINDOW: z.coerce.number().int().min(1).default(DEFAULT_THROTTLE.windowMs / 1000),
  RATE_LIMIT_PER_ADDRESS: z.coerce.number().int().min(1).default(DEFAULT_THROTTLE.perAddress),
  RATE_LIMIT_PER_PRINCIPAL: z.coerce.number().int().min(1).default(DEFAULT_THROTTLE.perPrincipal),
  RATE_LIMIT_AUTH_FAILURES: z.coerce.number().int().min(1).default(DEFAULT_THROTTLE.authFailures),
});

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  clickhouseUrl?: string;
  clickhouseUser?: string;
  clickhousePassword?: string;
  database: string;
  demoRows: number;
  seed: number;
  /** false: reference data only (territory, providers, codes, population estimate); real data arrive with npm run load. */
  demoData: boolean;
  /** A load replacing a batch must bring at least this share of its rows, unless --allow-shrink / allow_shrink=true. */
  loadShrinkShare: number;
  /** PEM files: when both are set the server speaks HTTPS. */
  tls?: { certFile: string; keyFile: string };
  /** Memory bound of the result cache, MiB; 0: no cache. */
  resultCacheMb: number;
  /** Compute the reports' default views in the background after each load and at start. */
  warmCache: boolean;
  /** Engine settings of every data-path query and the size above which a query is refused before it runs. */
  limits: EngineLimits;
  /** The scheduler in front of the engine (concurrency defaults by transport). */
  scheduler: Partial<SchedulerOptions>;
  /** Rate limits; false when RATE_LIMIT=false. */
  throttle: ThrottleOptions | false;
}

export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const parsed = Env.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`configurazione non valida (variabili d'ambiente):\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (Boolean(e.TLS_CERT_FILE) !== Boolean(e.TLS_KEY_FILE)) throw new Error('configurazione non valida: TLS_CERT_FILE e TLS_KEY_FILE vanno impostate insieme');
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: e.DATA_DIR,
    clickhouseUrl: e.CLICKHOUSE_URL,
    clickhouseUser: e.CLICKHOUSE_USER,
    clickhousePassword: e.CLICKHOUSE_PASSWORD,
    database: e.CLICKHOUSE_DATABASE,
    demoRows: e.DEMO_ROWS,
    demoData: e.DEMO_DATA === 'true',
    loadShrinkShare: e.LOAD_SHRINK_SHARE,
    seed: e.DEMO_SEED,
    tls: e.TLS_CERT_FILE && e.TLS_KEY_FILE ? { certFile: e.TLS_CERT_FILE, keyFile: e.TLS_KEY_FILE } : undefined,
    resultCacheMb: e.RESULT_CACHE_MB,
    warmCache: e.WARM_CACHE === 'true',
    limits: {
      maxExecutionTime: e.QUERY_MAX_EXECUTION_TIME,
      maxMemoryUsage: e.QUERY_MAX_MEMORY_MB * 1024 ** 2,
      maxResultRows: e.QUERY_MAX_RESULT_ROWS,
      maxRowsToGroupBy: e.QUERY_MAX_GROUPS,
      maxEstimatedRows: e.QUERY_MAX_ESTIMATED_ROWS,
    },
    scheduler: {
      ...(e.ENGINE_CONCURRENCY ? { concurrency: e.ENGINE_CONCURRENCY } : {}),
      ...(e.ENGINE_HEAVY_CONCURRENCY ? { heavyConcurrency: e.ENGINE_HEAVY_CONCURRENCY } : {}),
      heavyCost: e.QUERY_HEAVY_COST,
      heavyThreads: e.ENGINE_HEAVY_THREADS,
      cheapThreads: e.ENGINE_CHEAP_THREADS,
      idleHeavyThreads: e.ENGINE_IDLE_HEAVY_THREADS,
      perPrincipal: e.QUERY_PER_PRINCIPAL,
      maxQueue: e.QUERY_QUEUE_MAX,
      maxQueuedPerPrincipal: e.QUERY_QUEUE_PER_PRINCIPAL,
      queueTimeoutMs: Math.round(e.QUERY_QUEUE_TIMEOUT * 1000),
      maxOvertakes: e.QUERY_MAX_OVERTAKES,
    },
    throttle:
      e.RATE_LIMIT === 'true' && { windowMs: e.RATE_LIMIT_WINDOW * 1000, perAddress: e.RATE_LIMIT_PER_ADDRESS, perPrincipal: e.RATE_LIMIT_PER_PRINCIPAL, authFailures: e.RATE_LIMIT_AUTH_FAILURES },
  };
}
