/** The PAS reports: the list a profile may open (with filters and their values in scope), and each report as JSON or .xlsx. */
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { REPORT } from '../../formats/documents.ts';
import { answerHeaders } from '../../formats/headers.ts';
import { answer, chooseFormat, formatParam } from '../../formats/table.ts';
import { labelText } from '../../present/crosstab.ts';
import type { QueryContext } from '../../query/execute.ts';
import { cachedReads, stableJson } from '../../query/cache.ts';
import { listMembers } from '../../query/members.ts';
import type { Report } from '../../reports/load.ts';
import { runReport, type ReportResult } from '../../reports/run.ts';
import { Timing } from '../../query/timing.ts';
import { mayOpenReport } from '../../security/reports.ts';
import { audit, countCells } from '../audit.ts';
import { principalOf } from '../auth.ts';
import { answerEtag, notModified } from '../etag.ts';
import { ProblemOut, ReportListOut, ReportOut } from '../schemas.ts';

/** Titled documents of kept (frozen) reports, per language: a repeat is the same object, serialised once (http/serializer.ts). */
const titledDocs = new WeakMap<ReportResult, Map<string, ReportResult & { title: string }>>();

/** The report with its title in `lang`. */
function titled(result: ReportResult, lang: 'it' | 'en'): ReportResult & { title: string } {
  if (!Object.isFrozen(result)) return { ...result, title: labelText(result.label, lang) };
  let byLang = titledDocs.get(result);
  if (!byLang) titledDocs.set(result, (byLang = new Map()));
  let doc = byLang.get(lang);
  if (!doc) byLang.set(lang, (doc = Object.freeze({ ...result, title: labelText(result.label, lang) })));
  return doc;
}

/** Filters with at most this many values list them inline; larger ones point to the members endpoint. */
const INLINE_VALUES = 60;

export const reportRoutes: FastifyPluginAsyncZod<{ context: () => QueryContext; reports: () => Map<string, Report> }> = async (app, opts) => {
  app.get('/v1/reports', {
    schema: { tags: ['report'], summary: 'I report che il profilo può aprire, con i filtri e i loro valori nel proprio ambito', response: { 200: ReportListOut, 401: ProblemOut } },
  }, async (request) => {
    const principal = principalOf(request);
    const ctx = opts.context();
    const out = [];
    for (const r of opts.reports().values()) {
      if (!mayOpenReport(r, principal, ctx.model)) continue;
      const cube = ctx.model.cubes.get(r.cube)!;
      const filters = [];
      for (const name of r.filters) {
        const dim = cube.dimensions.get(name)!;
        const page = await listMembers({ ...ctx, engine: cachedReads(ctx) }, cube, dim, { limit: INLINE_VALUES, offset: 0 }, principal);
        filters.push({
          dimension: name,
          label: dim.label,
          total: page.total,
          values: page.total <= INLINE_VALUES ? page.members.map(({ key, label }) => ({ key, label })) : undefined,
          members: `/v1/cubes/${cube.name}/dimensions/${name}/members`,
        });
      }
      out.push({ name: r.name, label: r.label, section: r.section, level: r.level, description: r.description, preview: `/anteprima/${r.name}`, filters, tables: r.tables.map((t) => ({ name: t.name, title: t.title, chart: t.chart })) });
    }
    return { reports: out };
  });

  app.post('/v1/reports/:report', {
    schema: {
      tags: ['report'],
      summary: 'Un report: indicatori, tabelle e serie pronte per i grafici; ?format=xlsx per la cartella di lavoro',
      params: z.object({ report: z.string().min(1).max(64).meta({ example: 'confronto_prestazioni' }) }),
      querystring: z.object({ format: formatParam(REPORT), lang: z.enum(['it', 'en']).optional().describe('language of the workbook (default it)') }),
      body: z.strictObject({
        territorio: z.string().max(32).optional().describe('territory (or ente) of the report when the caller is above its level'),
        filtri: z.record(z.string(), z.array(z.union([z.string(), z.number()])).max(1000)).default({}).describe('dimension -> member keys'),
      }).meta({ example: { filtri: { anno: [2023] } } }),
      response: { 200: ReportOut, 400: ProblemOut, 403: ProblemOut, 404: ProblemOut, 406: ProblemOut },
    },
  }, async (request, reply) => {
    const format = chooseFormat(REPORT, request.query.format, request.headers.accept);
    const report = opts.reports().get(request.params.report);
    if (!report) throw new AppError('NOT_FOUND', `Il report "${request.params.report}" non esiste. Report: ${[...opts.reports().keys()].join(', ')}.`);
    const principal = principalOf(request);
    const ctx = opts.context();
    if (notModified(request, reply as FastifyReply, await answerEtag(ctx, principal, request, stableJson(report)))) return reply;
    const timing = new Timing();
    const result = await timing.time('report', () => runReport(ctx, report, { territorio: request.body.territorio, filters: request.body.filtri }, principal));
    const counts = result.tables.flatMap((t) => t.series.map((x) => countCells(x.result)));
    audit(request, {
      report: report.name,
      filters: request.body.filtri,
      territorio: request.body.territorio ?? null,
      cells: result.kpis.length + counts.reduce((n, c) => n + c.cells, 0),
      suppressed: result.kpis.filter((k) => k.suppressed).length + counts.reduce((n, c) => n + c.suppressed, 0),
    });
    const lang = request.query.lang ?? 'it';
    const doc = titled(result, lang);
    reply.header('server-timing', timing.header());
    return answer(reply as FastifyReply, REPORT, doc, format, answerHeaders({ ...result, name: report.name }, format, lang), { lang });
  });
};
