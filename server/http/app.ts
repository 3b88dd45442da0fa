/** The Fastify application: shared infrastructure registered once at the root, routes as plugins. */
import swagger from '@fastify/swagger';
import fastifyStatic from '@fastify/static';
import swaggerUi from '@fastify/swagger-ui';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { jsonSchemaTransform, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { QueryContext } from '../query/execute.ts';
import { principalOf, registerAuth, type Authenticator } from './auth.ts';
import { registerProblemHandler } from './problem.ts';
import { errorDocRoutes } from './routes/errors-doc.ts';
import { defaultResponseCheck, responseSerializer, type ResponseCheck } from './serializer.ts';
import { cubeRoutes } from './routes/cubes.ts';
import { ponRoutes } from './routes/pon.ts';
import { previewRoutes } from './routes/preview.ts';
import { reportRoutes } from './routes/reports.ts';
import type { Report } from '../reports/load.ts';
import type { ModelRegistry } from '../admin/registry.ts';
import { adminRoutes } from './routes/admin.ts';
import { loadRoutes } from './routes/loads.ts';

export interface AppOptions {
  context: () => QueryContext;
  logger?: FastifyServerOptions['logger'];
  auth: Omit<Authenticator, 'directory'>;
  /** Serve HTTPS (Office loads add-ins only over HTTPS). */
  https?: { key: Buffer; cert: Buffer };
  /** The declared reports (default: none). */
  reports?: () => Map<string, Report>;
  /** Folder of the built task pane, served at /addin/ (default addin/dist). */
  addinDir?: string;
  /** Administration (/v1/admin): the model registry (hot reload, status) and where uploaded Parquet files are spooled. */
  admin?: { registry: ModelRegistry; spoolDir: string };
  /** How JSON answers are checked against their response schemas (default: strict unless NODE_ENV=production). */
  responseCheck?: ResponseCheck;
}

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  // One instance type whether it speaks HTTP or HTTPS: routes do not care.
  const server = Fastify({ logger: opts.logger ?? false, bodyLimit: 1_000_000, ...(opts.https ? { https: opts.https } : {}) } as FastifyServerOptions) as unknown as FastifyInstance;
  const app = server.withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(responseSerializer(opts.responseCheck ?? defaultResponseCheck()));
  registerProblemHandler(app);
  registerAuth(app, { ...opts.auth, directory: () => opts.context().directory });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'PAS cubi — API di analisi sociale',
        description:
          'Cubi OLAP sui dati dei servizi sociali (prestazioni PS-PSA, popolazione). Query in JSON, CSV o XLSX. ' +
          'I dati di questa installazione dimostrativa sono generati, non reali.',
        version: '0.1.0',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'token con profilo e ambito (npm run token)' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'chiave API (npm run apikey -- create)' },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
      tags: [
        { name: 'cubi', description: 'Modelli: dimensioni, misure, membri' },
        { name: 'query', description: 'Interrogazioni' },
        { name: 'report', description: 'I report del PAS: Quadri, Prospetti, Confronti' },
        { name: 'PON', description: 'PON Inclusione Avviso 3/2016: scheda di monitoraggio fisico' },
        { name: 'admin', description: 'Amministrazione (ruolo admin): stato del modello, tabelle, caricamenti' },
      ],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { persistAuthorization: true } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  await app.register(errorDocRoutes);
  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/docs'));

  const addinDir = resolve(opts.addinDir ?? 'addin/dist');
  if (existsSync(addinDir)) await app.register(fastifyStatic, { root: addinDir, prefix: '/addin/' });
  else app.log.warn(`task pane not built (${addinDir}): run npm run build:addin`);

  await app.register(cubeRoutes, { context: opts.context, principal: principalOf });
  await app.register(ponRoutes, { context: opts.context });
  await app.register(previewRoutes);
  await app.register(reportRoutes, { context: opts.context, reports: opts.reports ?? (() => new Map()) });
  if (opts.admin) {
    const { registry, spoolDir } = opts.admin;
    await app.register(adminRoutes, { registry });
    await app.register(loadRoutes, { context: opts.context, spoolDir, onDataChanged: () => registry.refreshData() });
  }
  return app;
}
