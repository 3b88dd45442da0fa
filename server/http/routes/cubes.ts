/** The cube API: list, describe, members, query. Routes only wire the query path to the formats. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import type { Cube } from '../../model/types.ts';
import { isDemo, runQuery, type QueryContext } from '../../query/execute.ts';
import { cachedReads } from '../../query/cache.ts';
import { listMembers } from '../../query/members.ts';
import { findCube, findDimension } from '../../plan/predicates.ts';
import { QuerySpecSchema, type QuerySpec } from '../../plan/spec.ts';
import { checkCubeAccess, readableCubes } from '../../security/access.ts';
import type { Principal } from '../../security/principal.ts';
import { QUERY_ANSWER } from '../../formats/documents.ts';
import { answerHeaders } from '../../formats/headers.ts';
import { answer, chooseFormat, formatParam } from '../../formats/table.ts';
import { auditQuery } from '../audit.ts';
import { answerEtag, notModified } from '../etag.ts';
import { CubeListOut, CubeOut, MemberPageOut, ProblemOut, QueryResultOut } from '../schemas.ts';
import { Timing } from '../../query/timing.ts';

export interface CubeRoutesOptions {
  context: () => QueryContext;
  principal: (request: FastifyRequest) => Principal;
}

const cubeParam = z.object({ cube: z.string().min(1).max(64).describe('cube name').meta({ example: 'prestazioni' }) });
const formatQuery = z.object({
  format: formatParam(QUERY_ANSWER),
  lang: z.enum(['it', 'en']).optional().describe('language of labels in CSV/XLSX (default it)'),
});

export const cubeRoutes: FastifyPluginAsyncZod<CubeRoutesOptions> = async (app, opts) => {
  const errors = { 400: ProblemOut, 404: ProblemOut };
  // Too large (refused by estimate or stopped by the engine), throttled, busy or engine down, stopped at max_execution_time.
  const limits = { 413: ProblemOut, 429: ProblemOut, 503: ProblemOut, 504: ProblemOut };

  app.get('/v1/cubes', {
    schema: { tags: ['cubi'], summary: 'Elenco dei cubi che il profilo può aprire', response: { 200: CubeListOut } },
  }, async (request) => {
    const ctx = opts.context();
    const status = await ctx.dataStatus();
    const principal = opts.principal(request);
    const cubes = readableCubes(ctx.model, principal).map((c) => ({
      name: c.name,
      label: c.label,
      description: c.description,
      dimensions: [...c.dimensions.keys()],
      measures: [...c.measures.keys()],
      dataDate: status.sources[c.source] ?? '',
      dataVersion: status.versions[c.source] ?? '',
      demo: isDemo(status, c.source),
    }));
    return { cubes };
  });

  app.get('/v1/cubes/:cube', {
    schema: {
      tags: ['cubi'],
      summary: 'Dimensioni, gerarchie e misure di un cubo, con etichette e definizioni',
      params: cubeParam,
      response: { 200: CubeOut, ...errors },
    },
  }, async (request) => {
    const ctx = opts.context();
    const cube = findCube(ctx.model, request.params.cube);
    checkCubeAccess(cube, opts.principal(request));
    const status = await ctx.dataStatus();
    return { ...describeCube(cube), dataDate: status.sources[cube.source] ?? '', dataVersion: status.versions[cube.source] ?? '', demo: isDemo(status, cube.source) };
  });

  app.get('/v1/cubes/:cube/dimensions/:dimension/members', {
    schema: {
      tags: ['cubi'],
      summary: 'Valori (membri) di una dimensione, con ricerca e paginazione',
      description: 'Esempio: /v1/cubes/prestazioni/dimensions/comune/members?q=roma. `parent` restringe ai membri di un livello superiore (es. gli ATS di una regione).',
      params: cubeParam.extend({ dimension: z.string().min(1).max(64).describe('dimension name').meta({ example: 'ats' }) }),
      querystring: z.object({
        q: z.string().max(100).optional().describe('text contained in the label, or start of the key'),
        parent: z.string().max(64).optional().describe('key of the parent member (hierarchies)'),
        limit: z.coerce.number().int().min(1).max(10_000).default(100),
        offset: z.coerce.number().int().min(0).default(0),
      }),
      response: { 200: MemberPageOut, ...errors },
    },
  }, async (request) => {
    const ctx = opts.context();
    const cube = findCube(ctx.model, request.params.cube);
    const dim = findDimension(cube, request.params.dimension);
    return listMembers({ ...ctx, engine: cachedReads(ctx) }, cube, dim, request.query, opts.principal(request));
  });

  const queryAnswer = async (cubeName: string, spec: QuerySpec, format: string | undefined, lang: 'it' | 'en' = 'it', request: FastifyRequest, reply: FastifyReply) => {
    const chosen = chooseFormat(QUERY_ANSWER, format, request.headers.accept);
    const ctx = opts.context();
    const principal = opts.principal(request);
    if (notModified(request, reply, await answerEtag(ctx, principal, request))) return reply;
    // A client that hangs up while its query waits in the queue takes the query with it.
    const gone = new AbortController();
    reply.raw.once('close', () => reply.raw.writableFinished || gone.abort());
    const timing = new Timing();
    const result = await runQuery(ctx, cubeName, spec, principal, { signal: gone.signal, timing });
    reply.header('server-timing', timing.header());
    auditQuery(request, { cube: cubeName, spec }, result);
    return answer(reply, QUERY_ANSWER, result, chosen, answerHeaders({ ...result, name: result.cube }, chosen, lang), { lang });
  };

  app.post('/v1/cubes/:cube/query', {
    schema: {
      tags: ['query'],
      summary: 'Interroga un cubo: misure per dimensioni di riga e colonna, filtri, totali e subtotali',
      description:
        'Risposta in formato lungo (JSON) o a tabella incrociata (CSV, XLSX), secondo `?format=` o l\'header Accept. ' +
        'I totali e subtotali sono calcolati dal motore (GROUPING SETS): i beneficiari non si sommano tra righe.',
      params: cubeParam,
      querystring: formatQuery,
      body: QuerySpecSchema,
      response: { 200: QueryResultOut, ...errors, 406: ProblemOut, ...limits },
    },
  }, async (request, reply) => queryAnswer(request.params.cube, request.body, request.query.format, request.query.lang, request, reply));

  app.get('/v1/cubes/:cube/query', {
    schema: {
      tags: ['query'],
      summary: 'La stessa query in un URL (per Excel "Da Web", R read.csv, curl)',
      description: 'Il parametro `q` è la query JSON (come nel corpo del POST), codificata nell\'URL. Esempio: ?format=csv&q={"measures":["beneficiari"],"rows":["regione"]}',
      params: cubeParam,
      querystring: formatQuery.extend({ q: z.string().min(2).max(20_000).describe('the query as JSON') }),
      response: { 200: QueryResultOut, ...errors, 406: ProblemOut, ...limits },
    },
  }, async (request, reply) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(request.query.q);
    } catch (err) {
      throw new AppError('INVALID_REQUEST', `Il parametro q non è JSON valido: ${(err as Error).message}`);
    }
    const spec = QuerySpecSchema.safeParse(parsed);
    if (!spec.success) {
      const issues = spec.error.issues.map((i) => ({ path: `q.${i.path.join('.')}`, message: i.message }));
      throw new AppError('INVALID_REQUEST', `La query non è valida: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { issues });
    }
    return queryAnswer(request.params.cube, spec.data, request.query.format, request.query.lang, request, reply);
  });
};

function describeCube(cube: Cube) {
  return {
    name: cube.name,
    label: cube.label,
    description: cube.description,
    dimensions: [...cube.dimensions.values()].map((d) => ({
      name: d.name,
      label: d.label,
      description: d.description,
      type: d.type,
      ordered: d.ordered,
      hierarchy: d.hierarchy,
      members: d.members.kind,
      provenance: d.provenance,
      bands: d.key.kind === 'bands' ? d.key.ranges.map((r) => ({ key: r.key, label: r.label, from: r.from, to: r.to })) : undefined,
    })),
    hierarchies: [...cube.hierarchies.values()].map((h) => ({ name: h.name, label: h.label, levels: [...h.levels] })),
    measures: [...cube.measures.values()].map((m) => ({
      name: m.name,
      label: m.label,
      definition: m.definition,
      format: m.format,
      type: m.kind,
      additive: m.additive,
    })),
  };
}
