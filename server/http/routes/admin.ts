/** GET /v1/admin/status: which model is serving, the last refused change, the data behind each source. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ModelRegistry } from '../../admin/registry.ts';
import { dataInfo } from '../../data/bootstrap.ts';
import type { Engine } from '../../engine/client.ts';
import { column, type SelectPlan } from '../../plan/select.ts';
import { readRows } from '../../query/read.ts';
import { systemRead } from '../../security/gate.ts';
import { adminOf } from '../auth.ts';

const StatusOut = z.object({
  model: z.object({
    version: z.number().describe('1 at start, +1 at each accepted change of cubes/'),
    loadedAt: z.string(),
    dir: z.string().describe('the watched folder'),
    cubes: z.array(z.object({ name: z.string(), file: z.string(), table: z.string() })),
    reports: z.array(z.string()),
    tables: z
      .array(z.object({ name: z.string(), file: z.string(), exists: z.boolean().describe('false until npm run schema (or POST /v1/admin/schema) creates it') }))
      .describe('source tables declared in the cube files'),
  }),
  lastError: z
    .object({ at: z.string(), issues: z.array(z.string()).describe('file:line:col (path): message, as npm run cubes -- check prints them') })
    .nullable()
    .describe('the last refused change of cubes/, null once a valid change is accepted'),
  data: z.record(z.string(), z.object({ loadedAt: z.string(), rows: z.number(), generated: z.boolean(), note: z.string(), version: z.string() })).describe('last load of each source'),
  cache: z
    .object({
      hits: z.number().describe('answers served from memory or shared with an identical request in flight'),
      misses: z.number().describe('answers computed by the engine'),
      entries: z.number(),
      bytes: z.number().describe('memory held by the answers (their JSON length)'),
      maxBytes: z.number().describe('bound: least recently used answers leave first (RESULT_CACHE_MB)'),
      inFlight: z.number(),
      userInFlight: z.number(),
      warm: z
        .object({
          state: z.enum(['idle', 'running', 'done', 'stopped']),
          total: z.number().describe('default views of the reports to compute (Italia, each Regione, benchmark series)'),
          done: z.number(),
          failed: z.number(),
          startedAt: z.string().nullable(),
          finishedAt: z.string().nullable(),
          lastError: z.string().nullable(),
        })
        .nullable()
        .describe('background warm-up after each load and at start (WARM_CACHE); null when off'),
    })
    .nullable()
    .describe('result cache of protected answers; null when off (RESULT_CACHE_MB=0)'),
});

export const adminRoutes: FastifyPluginAsyncZod<{ registry: ModelRegistry }> = async (app, { registry }) => {
  app.get('/v1/admin/status', {
    schema: { tags: ['admin'], summary: 'Stato del modello dei cubi (ricarica a caldo) e dei dati', response: { 200: StatusOut } },
  }, async (request) => {
    adminOf(request);
    const s = registry.snapshot();
    const engine = s.context.engine;
    const existing = await existingTables(engine);
    return {
      model: {
        version: s.version,
        loadedAt: s.loadedAt,
        dir: registry.dir,
        cubes: [...s.model.cubes.values()].map((c) => ({ name: c.name, file: c.file, table: c.table })),
        reports: [...s.reports.keys()],
        tables: [...s.model.tables.values()].map((t) => ({ name: t.name, file: t.file, exists: existing.has(t.name) })),
      },
      lastError: registry.lastError(),
      data: (await dataInfo(engine)).details,
      cache: registry.cache ? { ...registry.cache.stats(), warm: registry.warmer?.progress() ?? null } : null,
    };
  });
};

/** Names of the tables of our database: a system read of the engine's catalog, for an admin. */
async function existingTables(engine: Engine): Promise<Set<string>> {
  const plan: SelectPlan = {
    kind: 'select',
    from: { kind: 'catalog', name: 'tables' },
    columns: [{ alias: 'name', expr: column('name') }],
    where: [{ kind: 'in', expr: column('database'), values: [engine.database], type: 'String', negate: false }],
  };
  return new Set((await readRows<{ name: string }>(engine, systemRead(plan))).map((r) => r.name));
}
