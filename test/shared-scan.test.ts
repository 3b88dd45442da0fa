/**
 * Shared scans (server/query/shared-scan.ts): plans that read the same rows run as one engine query
 * and change nothing. The split gives each plan exactly the rows, and the order, of its own query;
 * every report, for every profile that may open it, gives the same answer (figures, suppression,
 * order) as with every query run on its own, and the engine is asked once instead of once per table.
 */
import t from 'tap';
import { resolve } from 'node:path';
import { createQueryContext } from '../server/context.ts';
import { loadModel } from '../server/model/load.ts';
import { QuerySpecSchema } from '../server/plan/spec.ts';
import { compileAggregate } from '../server/query/compile.ts';
import { planQuery } from '../server/query/planner.ts';
import { compileSharedScan, scanSignature, SHARED_SCAN_BYTES_PER_ROW, sharedScanMaxRows } from '../server/query/shared-scan.ts';
import { loadReports } from '../server/reports/load.ts';
import { runReport, type ReportRequest } from '../server/reports/run.ts';
import { mayOpenReport } from '../server/security/reports.ts';
import { secure } from '../server/security/gate.ts';
import type { Principal } from '../server/security/principal.ts';
import { preparedEngine, recordingPerPerson } from './helpers/engine.ts';

const { engine: real, dispose } = await preparedEngine(60_000, 12);
t.teardown(dispose);
const model = loadModel({ dir: resolve('cubes') });
const reports = loadReports(resolve('cubes/reports'), model);

const { engine, perPerson } = recordingPerPerson(real);
const shared = await createQueryContext(engine, model, { cellKeySecret: 'shared-scan-test' });
const separate = { ...shared, sharedScanMaxRows: 0 };
const P = real.table('prestazioni');
const [{ ats, regione }] = await real.query<{ ats: string; regione: string }>(`SELECT ats, any(regione) regione FROM ${P} GROUP BY ats ORDER BY count() DESC, ats LIMIT 1`);
const [{ comune }] = await real.query<{ comune: string }>(`SELECT comune FROM ${P} WHERE ats = {ats:String} GROUP BY comune ORDER BY count() DESC, comune LIMIT 1`, { ats });
const places: Record<string, string> = { regionale: regione, ats, comunale: comune, ente: `C${comune}` };
const principals: Principal[] = [
  { id: 'n', profile: 'nazionale' },
  { id: 'r', profile: 'regionale', scope: regione },
  { id: 'a', profile: 'ats', scope: ats },
  { id: 'c', profile: 'comunale', scope: comune },
  { id: 'e', profile: 'ente', scope: `C${comune}` },
];

t.test('the split gives each plan the rows of its own query, in its order', async (t) => {
  const specs = [
    { measures: ['beneficiari', 'importo'], rows: ['categoria'], columns: ['anno'], totals: true },
    // The same dimensions the other way round: another order of the same cells.
    { measures: ['beneficiari'], rows: ['anno'], columns: ['categoria'], totals: true },
    { measures: ['importo', 'prestazioni'], rows: ['fascia_eta', 'genere'], totals: true, subtotals: true },
    { measures: ['beneficiari', 'quota_beneficiari_presa_in_carico'], rows: ['area_utenza'], order: [{ by: 'area_utenza', direction: 'desc' }] },
    { measures: ['importo', 'beneficiari', 'prestazioni'] },
  ];
  for (const principal of [principals[0], principals[2]]) {
    const plans = specs.map((s) => secure(planQuery(model, 'prestazioni', QuerySpecSchema.parse(s)), principal, shared).main).map((p) => ({ ...p, limit: undefined }));
    t.ok(plans.every((p) => scanSignature(p) === scanSignature(plans[0])), 'one signature: same table, filters, scope and person');
    const scan = compileSharedScan(plans, real.table)!;
    t.ok(scan, 'the plans combine');
    const split = scan.split(await real.query(scan.compiled.sql, scan.compiled.params));
    for (const [i, plan] of plans.entries()) {
      const own = compileAggregate(plan, real.table);
      const alone = await real.query<Record<string, unknown>>(own.sql, own.params);
      t.ok(alone.length >= (plan.dimensions.length ? 2 : 1), `${principal.profile}, plan ${i}: its own query has rows`);
      // The split rows carry the other plans' columns too (ignored by the reader): compared on the plan's own columns.
      t.same(split[i].map((row) => Object.fromEntries(Object.keys(alone[0]).map((k) => [k, row[k]]))), alone, `${principal.profile}, plan ${i}: same rows, same order`);
    }
  }
});

t.test('plans that cannot share are left alone', async (t) => {
  // As runQueries has them: a protected plan is paged after its disclosure control, not in the engine.
  const plan = (s: object, p: Principal = principals[2]) => ({ ...secure(planQuery(model, 'prestazioni', QuerySpecSchema.parse(s)), p, shared).main, limit: undefined });
  const a = plan({ measures: ['beneficiari'], rows: ['anno'] });
  t.type(scanSignature(a), 'string', 'a protected plan may share');
  t.equal(scanSignature({ ...a, limit: 10 }), undefined, 'a paged plan');
  t.equal(scanSignature({ ...a, person: undefined }), undefined, 'a plan with no person (not protected)');
  t.equal(compileSharedScan([a], real.table), undefined, 'a single plan');
  t.equal(compileSharedScan([a, plan({ measures: ['beneficiari'], rows: ['anno'], filters: [{ dimension: 'anno', op: 'eq', value: 2022 }] })], real.table), undefined, 'other filters');
  t.equal(compileSharedScan([a, plan({ measures: ['beneficiari'], rows: ['anno'] }, principals[3])], real.table), undefined, 'another scope');
  // A distinct count of something other than the person keeps a set per person and cell: in the other plans' sets it costs more than it saves.
  t.not(scanSignature(plan({ measures: ['beneficiari', 'comuni_con_beneficiari'] })), scanSignature(plan({ measures: ['beneficiari'] })), 'a plan counting distinct comuni');
  t.equal(scanSignature(plan({ measures: ['beneficiari', 'comuni_con_beneficiari'] })), scanSignature(plan({ measures: ['comuni_con_beneficiari'], rows: ['anno'] })), 'two plans counting distinct comuni share');
});

t.test('every report answers the same with and without shared scans, with fewer engine queries', async (t) => {
  let fewer = 0;
  for (const principal of principals) {
    for (const report of reports.values()) {
      if (!mayOpenReport(report, principal, model)) continue;
      // A report below the caller's level is about one of its territories (or entes): the ones above.
      const territorio = report.level === 'tutti' || report.level === principal.profile ? undefined : places[report.level];
      const requests: ReportRequest[] = [{ territorio, filters: {} }, ...(report.filters.includes('anno') && principal.profile === 'ats' ? [{ territorio, filters: { anno: [2022] } }] : [])];
      for (const req of requests) {
        const before = perPerson.length;
        const alone = await runReport(separate, report, req, principal);
        const separateQueries = perPerson.length - before;
        const together = await runReport(shared, report, req, principal);
        const sharedQueries = perPerson.length - before - separateQueries;
        t.same(together, alone, `${report.name}, ${principal.profile}${req.filters.anno ? ', 2022' : ''}`);
        t.ok(sharedQueries <= separateQueries, `${report.name}, ${principal.profile}: ${sharedQueries} engine queries instead of ${separateQueries}`);
        if (sharedQueries < separateQueries) fewer++;
      }
    }
  }
  t.ok(fewer > 20, `reports computed with fewer engine queries: ${fewer}`);
});

t.test('the national Quadro Nazionale asks the engine twice: its indicators, and its five tables together', async (t) => {
  const report = reports.get('quadro_nazionale')!;
  const protectedQueries = async (ctx: typeof shared) => {
    const before = perPerson.length;
    await runReport(ctx, report, { filters: { anno: [2021] } }, principals[0]);
    return perPerson.length - before;
  };
  t.equal(report.tables.length, 5);
  t.equal(await protectedQueries(separate), 1 + report.tables.length, 'alone: one query for the indicators and one per table');
  t.equal(await protectedQueries(shared), 2, 'shared: the indicators (distinct comuni) alone, the tables in one query');
  // Over a bound smaller than the national scope (every row), each table runs alone again.
  const [{ n }] = await real.query<{ n: string }>(`SELECT count() n FROM ${P}`);
  t.equal(await protectedQueries({ ...shared, sharedScanMaxRows: Number(n) - 1 }), 1 + report.tables.length, 'a scope over the bound: one query per table');
  t.equal(await protectedQueries({ ...shared, sharedScanMaxRows: Number(n) }), 2, 'a scope at the bound: shared');
  // By default the bound follows the engine's memory limit (the memory a GROUP BY has before spilling).
  const withMemory = (bytes: number) => ({ ...shared, engine: { ...engine, limits: { ...engine.limits, maxMemoryUsage: bytes } } });
  t.equal(sharedScanMaxRows({ maxMemoryUsage: 2 * 1024 ** 3 }), Math.floor(1024 ** 3 / SHARED_SCAN_BYTES_PER_ROW), 'the default 2 GB: half of it at SHARED_SCAN_BYTES_PER_ROW');
  t.equal(sharedScanMaxRows({ maxMemoryUsage: 0 }), Infinity, 'no memory limit: any scope');
  t.equal(await protectedQueries(withMemory(2 * SHARED_SCAN_BYTES_PER_ROW * (Number(n) - 1))), 1 + report.tables.length, 'a memory limit too small for the scope: one query per table');
  t.equal(await protectedQueries(withMemory(2 * SHARED_SCAN_BYTES_PER_ROW * Number(n))), 2, 'a memory limit enough for the scope: shared');
});
