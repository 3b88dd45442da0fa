/** The Fastify application: shared infrastructure registered once at the root, routes as plugins. */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { QueryContext } from '../query/execute.ts';
import { NATIONAL, type Principal } from '../security/principal.ts';
import { registerProblemHandler } from './problem.ts';
import { cubeRoutes } from './routes/cubes.ts';

export interface AppOptions {
  context: () => QueryContext;
  logger?: FastifyServerOptions['logger'];
  /** Who the caller is; until authentication is configured, every caller is national. */
  principal?: (request: import('fastify').FastifyRequest) => Principal;
}

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: 1_000_000 }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerProblemHandler(app);

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
      tags: [
        { name: 'cubi', description: 'Modelli: dimensioni, misure, membri' },
        { name: 'query', description: 'Interrogazioni' },
      ],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/docs'));

  await app.register(cubeRoutes, { context: opts.context, principal: opts.principal ?? (() => NATIONAL) });
  return app;
}
