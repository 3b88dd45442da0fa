import { createQueryContext } from '../../server/context.ts';
import type { FastifyInstance } from 'fastify';
import type { Engine, EngineConfig } from '../../server/engine/client.ts';
import type { ThrottleOptions } from '../../server/http/throttle.ts';
import { buildApp } from '../../server/http/app.ts';
import { loadModel } from '../../server/model/load.ts';
import { loadReports } from '../../server/reports/load.ts';
import type { Model } from '../../server/model/types.ts';
import type { QueryContext } from '../../server/query/execute.ts';
import type { ResultCache } from '../../server/query/cache.ts';
import { ApiKeyStore } from '../../server/security/api-keys.ts';
import { Directory } from '../../server/security/directory.ts';
import type { Principal } from '../../server/security/principal.ts';
import { createVerifier, mintToken } from '../../server/security/tokens.ts';
import { preparedEngine } from './engine.ts';

export const TEST_SECRET = 'test-secret-of-at-least-32-characters-long';
/** The fixed secret of the cell key method's record keys in tests (hand-written SQL recomputes the keys with it). */
export const TEST_CELL_KEY_SECRET = 'test-cell-key-secret-of-32-characters-or-more';

export interface DemoApp {
  app: FastifyInstance;
  engine: Engine;
  model: Model;
  directory: Directory;
  apiKeys: ApiKeyStore;
  /** Data directory of the embedded engine. */
  dir: string;
  /** The query context the app answers with (tests may swap its engine). */
  context: QueryContext;
  /** Structured log lines written by the app (JSON). */
  logs: Record<string, unknown>[];
  /** Authorization headers of a freshly minted token for this principal. */
  as(principal: Omit<Principal, 'id'>): Promise<Record<string, string>>;
  dispose(): Promise<void>;
}

/** The real app over a small generated demo data set on a private embedded engine. */
export interface DemoAppOptions {
  nationalExemptFromDisclosure?: boolean;
  /** Engine limits and scheduler (default: the server's defaults). */
  engine?: Pick<EngineConfig, 'limits' | 'scheduler'>;
  /** Rate limits (default: the server's defaults). */
  throttle?: ThrottleOptions | false;
  /** The result cache (default: none, every answer is computed). */
  cache?: ResultCache;
}

export async function demoApp(rows = 60_000, seed = 7, opts: DemoAppOptions = {}): Promise<DemoApp> {
  const { engine, dir, dispose } = await preparedEngine(rows, seed, opts.engine);
  const model = loadModel({ dir: 'cubes' });
  const context = await createQueryContext(engine, model, { cellKeySecret: TEST_CELL_KEY_SECRET, ...opts });
  const directory = context.directory;
  const apiKeys = new ApiKeyStore(`${dir}/api-keys.json`);
  const logs: Record<string, unknown>[] = [];
  const stream = { write: (line: string) => void logs.push(JSON.parse(line)) };
  const reports = loadReports('cubes/reports', model);
  const app = await buildApp({ context: () => context, reports: () => reports, auth: { verify: await createVerifier({ secret: TEST_SECRET }), apiKeys }, throttle: opts.throttle, logger: { level: 'info', stream } });
  return {
    app,
    engine,
    model,
    directory,
    apiKeys,
    dir,
    context,
    logs,
    async as(p) {
      const token = await mintToken({ secret: TEST_SECRET, profile: p.profile, scope: p.scope, subject: `test:${p.profile}:${p.scope ?? ''}`, expiresIn: '1h' });
      return { authorization: `Bearer ${token}` };
    },
    async dispose() {
      await app.close();
      await dispose();
    },
  };
}
