/** The PAS reports: the list a profile may open (with filters and their values in scope), and each report as JSON or .xlsx. */
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { labelText } from '../../present/crosstab.ts';
import type { QueryContext } from '../../query/execute.ts';
import { listMembers } from '../../query/members.ts';
import type { Report } from '../../reports/load.ts';
import { runReport } from '../../reports/run.ts';
import { mayOpenReport } from '../../security/reports.ts';
import { reportXlsx } from '../../formats/report-xlsx.ts';
import { principalOf } from '../auth.ts';
import { MEDIA_TYPES } from '../../formats/negotiate.ts';
import { ProblemOut } from '../schemas.ts';

const LabelOut = z.object({ it: z.string(), en: z.string().optional() });
const ReportListOut = z.object({
  reports: z.array(z.object({
    name: z.string(),
    label: LabelOut,
    section: z.string(),
    level: z.string(),
    description: z.string().optional(),
    preview: z.string().describe('HTML preview page of the report'),
    filters: z.array(z.object({
      dimension: z.string(),
      label: LabelOut,
      total: z.number(),
      values: z.array(z.object({ key: z.union([z.string(), z.number()]), label: LabelOut })).optional().describe('allowed values in the caller\'s scope, when few'),
      members: z.string().describe('members endpoint, with search'),
    })),
    tables: z.array(z.object({ name: z.string(), title: LabelOut, chart: z.string() })),
  })),
});

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
        const page = await listMembers(ctx, cube, dim, { limit: INLINE_VALUES, offset: 0 }, principal);
        filters.push({
          dimension: name,
          label: dim.label,
          total: page.total,
          values: page.total <= INLINE_VALUES ? page.members : undefined,
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
      querystring: z.object({ format: z.enum(['json', 'xlsx']).optional() }),
      body: z.strictObject({
        territorio: z.string().max(32).optional().describe('territory (or ente) of the report when the caller is above its level'),
        filtri: z.record(z.string(), z.array(z.union([z.string(), z.number()])).max(1000)).default({}).describe('dimension -> member keys'),
      }).meta({ example: { filtri: { anno: [2023] } } }),
      response: { 400: ProblemOut, 403: ProblemOut, 404: ProblemOut },
    },
  }, async (request, typedReply) => {
    const reply = typedReply as unknown as FastifyReply;
    const report = opts.reports().get(request.params.report);
    if (!report) throw new AppError('NOT_FOUND', `Il report "${request.params.report}" non esiste. Report: ${[...opts.reports().keys()].join(', ')}.`);
    const principal = principalOf(request);
    const result = await runReport(opts.context(), report, { territorio: request.body.territorio, filters: request.body.filtri }, principal);
    const cells = result.kpis.length + result.tables.reduce((n, t) => n + t.series.reduce((m, s) => m + s.result.rows.length, 0), 0);
    const suppressed = result.tables.reduce((n, t) => n + t.series.reduce((m, s) => m + (s.result.suppression ? s.result.suppression.primary + s.result.suppression.secondary : 0), 0), 0);
    request.log.info({ audit: { who: principal.id, profile: principal.profile, scope: principal.scope ?? null, report: report.name, filters: request.body.filtri, territorio: request.body.territorio ?? null, cells, suppressed } }, 'audit');
    reply.header('X-Data-Date', result.dataDate).header('X-Data-Version', result.dataVersion);
    if (request.query.format === 'xlsx')
      return reply.type(MEDIA_TYPES.xlsx).header('Content-Disposition', `attachment; filename="${report.name}.xlsx"`).send(await reportXlsx(result));
    return reply.type('application/json').send(JSON.stringify({ ...result, title: labelText(result.label, 'it') }));
  });
};
