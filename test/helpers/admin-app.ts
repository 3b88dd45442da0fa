/**
 * The server as an admin runs it: a private copy of cubes/ with the SAD test cube added, a model
 * registry over it (hot reload, loads) and the app with the admin routes; torn down with the test.
 */
import type { Test } from 'tap';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ModelRegistry, type RegistryOptions } from '../../server/admin/registry.ts';
import type { Engine } from '../../server/engine/client.ts';
import { buildApp } from '../../server/http/app.ts';
import type { ApiKeyStore } from '../../server/security/api-keys.ts';
import type { Role } from '../../server/security/principal.ts';
import { createVerifier, mintToken } from '../../server/security/tokens.ts';
import { SAD_CUBE } from '../fixtures/sad-cube.ts';
import { TEST_SECRET } from './app.ts';

export interface AdminApp {
  app: FastifyInstance;
  registry: ModelRegistry;
  /** The private cubes/ folder the registry watches. */
  cubes: string;
  bearer(profile: Role, scope?: string): Promise<{ authorization: string }>;
}

export async function adminApp(
  t: Test,
  opts: { engine: Engine; dataDir: string; registry?: Omit<RegistryOptions, 'dir' | 'engine'>; apiKeys?: ApiKeyStore; /** The engine's own teardown, run once the app is closed. */ disposeEngine: () => Promise<void> },
): Promise<AdminApp> {
  const cubes = mkdtempSync(join(tmpdir(), 'pas-admin-cubes-'));
  cpSync('cubes', cubes, { recursive: true });
  writeFileSync(join(cubes, 'sad_test.yaml'), SAD_CUBE);
  const registry = await ModelRegistry.open({ dir: cubes, engine: opts.engine, ...opts.registry });
  const app = await buildApp({
    context: () => registry.context(),
    reports: () => registry.reports(),
    admin: { registry, spoolDir: join(opts.dataDir, 'uploads') },
    auth: { verify: await createVerifier({ secret: TEST_SECRET }), ...(opts.apiKeys ? { apiKeys: opts.apiKeys } : {}) },
  });
  t.teardown(async () => {
    registry.close();
    await app.close();
    await opts.disposeEngine();
    rmSync(cubes, { recursive: true, force: true });
  });
  return {
    app,
    registry,
    cubes,
    bearer: async (profile, scope) => ({ authorization: `Bearer ${await mintToken({ secret: TEST_SECRET, profile, scope, subject: `t:${profile}`, expiresIn: '1h' })}` }),
  };
}
