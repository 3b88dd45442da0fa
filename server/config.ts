/** Server configuration from the environment, validated with zod; defaults make `npm start` work with nothing set. */
import { z } from 'zod';

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
  TLS_CERT_FILE: z.string().optional(),
  TLS_KEY_FILE: z.string().optional(),
  RESULT_CACHE_MB: z.coerce.number().int().min(0).max(1_000_000).default(256),
  WARM_CACHE: z.enum(['true', 'false']).default('true'),
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
  /** PEM files: when both are set the server speaks HTTPS. */
  tls?: { certFile: string; keyFile: string };
  /** Memory bound of the result cache, MiB; 0: no cache. */
  resultCacheMb: number;
  /** Compute the reports' default views in the background after each load and at start. */
  warmCache: boolean;
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
    seed: e.DEMO_SEED,
    tls: e.TLS_CERT_FILE && e.TLS_KEY_FILE ? { certFile: e.TLS_CERT_FILE, keyFile: e.TLS_KEY_FILE } : undefined,
    resultCacheMb: e.RESULT_CACHE_MB,
    warmCache: e.WARM_CACHE === 'true',
  };
}
