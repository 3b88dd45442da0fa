/** PON Inclusione Avviso 3/2016: the monitoring sheet of an ATS, as JSON or as the .xlsx to file, and drill-through to member ids. */
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { PON_SHEET } from '../../formats/documents.ts';
import { answerHeaders } from '../../formats/headers.ts';
import { answer, chooseFormat, formatParam } from '../../formats/table.ts';
import { loadAtsRecords } from '../../pon/load.ts';
import { cellsOf, computeScheda, serviceTypesOf } from '../../pon/scheda.ts';
import { isDemo, type QueryContext } from '../../query/execute.ts';
import { audit } from '../audit.ts';
import { principalOf } from '../auth.ts';
import { PonDrillOut, PonSchedaOut, ProblemOut } from '../schemas.ts';

const isoDate = z.iso.date().describe('YYYY-MM-DD');
const SchedaRequest = z.strictObject({
  ats: z.string().max(32).optional().describe("ATS code; for an ATS user defaults to its own (and may only be its own)"),
  fine_periodo: isoDate.describe('last day of the monitored period, e.g. 2018-12-31').meta({ example: '2018-12-31' }),
  dia: isoDate.optional().describe("activity start date; defaults to the project's DIA"),
});

export const ponRoutes: FastifyPluginAsyncZod<{ context: () => QueryContext }> = async (app, opts) => {
  const compute = async (principal: ReturnType<typeof principalOf>, body: z.infer<typeof SchedaRequest>, microdata = false) => {
    const ctx = opts.context();
    // The gate decides which ATS the principal may read (securePon).
    const { ats, project, households } = await loadAtsRecords(ctx, principal, body.ats, microdata);
    try {
      const tipi = serviceTypesOf(ctx.model.tables.get('pon_servizi')?.columns.find((c) => c.name === 'tipo'));
      return { scheda: computeScheda(project, households, body.fine_periodo, body.dia, tipi), ctx, ats };
    } catch (err) {
      if (err instanceof RangeError) throw new AppError('INVALID_REQUEST', `Periodo non valido: ${err.message}.`);
      throw err;
    }
  };

  app.post('/v1/pon/avviso3/scheda', {
    schema: {
      tags: ['PON'],
      summary: 'Scheda di monitoraggio fisico (tabelle 1A, 1B, 2A) dell\'ATS, dai microdati',
      description: 'Valori cumulati dalla DIA alla fine del periodo, con le regole delle linee guida. `?format=xlsx` restituisce la scheda da trasmettere. Ogni cella ha un `id` per il dettaglio (/v1/pon/avviso3/dettaglio).',
      querystring: z.object({ format: formatParam(PON_SHEET) }),
      body: SchedaRequest,
      response: { 200: PonSchedaOut, 400: ProblemOut, 403: ProblemOut, 404: ProblemOut, 406: ProblemOut },
    },
  }, async (request, reply) => {
    const format = chooseFormat(PON_SHEET, request.query.format, request.headers.accept);
    const principal = principalOf(request);
    const { scheda, ctx, ats } = await compute(principal, request.body);
    audit(request, { report: 'pon_avviso3_scheda', ats, filters: request.body, cells: cellsOf(scheda).size + 2, suppressed: 0 });
    const status = await ctx.dataStatus();
    // The PON data are five tables: generated together ('pon') or loaded one by one ('pon_nuclei', ...); the latest load speaks for them.
    const latest = Object.keys(status.sources).filter((s) => s === 'pon' || s.startsWith('pon_')).sort((a, b) => status.sources[b].localeCompare(status.sources[a]))[0];
    const dataVersion = latest ? status.versions[latest] : '';
    const dataDate = latest ? status.sources[latest] : '';
    const demo = latest ? isDemo(status, latest) : status.demo;
    // Counts only: member ids are behind the drill-through, for the ATS itself.
    const strip = <T extends { ids?: unknown }>(c: T) => { const { ids: _ids, ...rest } = c; return rest; };
    const b = scheda.tabella_1B;
    const doc = {
      ats, ats_nome: ctx.directory.find('ats', ats)?.name, dia: scheda.dia, fine_periodo: scheda.fine_periodo, demo, dataVersion,
      tabella_1A: strip(scheda.tabella_1A),
      tabella_1B: { totale: strip(b.totale), migranti: strip(b.migranti), disabilita: strip(b.disabilita), status: b.status.map(strip), eta: b.eta.map(strip), istruzione: b.istruzione.map(strip) },
      tabella_2A: { servizi: scheda.tabella_2A.servizi.map(strip), totale: strip(scheda.tabella_2A.totale) },
      avvisi: scheda.avvisi,
    };
    const headers = answerHeaders({ name: `scheda-pon-${ats}-${scheda.fine_periodo}`, dataDate, dataVersion, demo, filters: [] }, format);
    return answer(reply as FastifyReply, PON_SHEET, doc, format, headers, { lang: 'it' });
  });

  app.post('/v1/pon/avviso3/dettaglio', {
    schema: {
      tags: ['PON'],
      summary: 'Dettaglio di una cella della scheda: gli identificativi pseudonimi dei componenti (solo utente ATS)',
      body: SchedaRequest.extend({ cella: z.string().min(2).max(64).describe('id of a cell, e.g. 1B.eta.18-24 or 1A.nuclei').meta({ example: '1B.totale' }) }),
      response: { 200: PonDrillOut, 400: ProblemOut, 403: ProblemOut, 404: ProblemOut },
    },
  }, async (request) => {
    const principal = principalOf(request);
    const { scheda, ats } = await compute(principal, request.body, true);
    audit(request, { report: 'pon_avviso3_dettaglio', ats, filters: request.body, cells: 1, suppressed: 0 });
    if (request.body.cella === scheda.tabella_1A.id) return { cella: scheda.tabella_1A.id, label: scheda.tabella_1A.label, nuclei: scheda.tabella_1A.ids };
    const cell = cellsOf(scheda).get(request.body.cella);
    if (!cell) throw new AppError('NOT_FOUND', `La cella "${request.body.cella}" non esiste. Celle: ${[scheda.tabella_1A.id, ...cellsOf(scheda).keys()].join(', ')}.`);
    return { cella: cell.id, label: cell.label, uomini: cell.ids.uomini, donne: cell.ids.donne };
  });
};
