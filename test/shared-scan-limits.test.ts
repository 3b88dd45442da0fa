/**
 * A shared scan over the engine's limits (server/query/execute.ts `runSharedScan`): the combined query
 * of two plans needs more groups than QUERY_MAX_GROUPS allows while each plan alone does not; the
 * plans then run their own queries and answer as they would without sharing. An engine of its own
 * (its limits are set when it opens, and a process has one embedded engine).
 */
import t from 'tap';
import { resolve } from 'node:path';
import { createQueryContext } from '../server/context.ts';
import { loadModel } from '../server/model/load.ts';
import { QuerySpecSchema } from '../server/plan/spec.ts';
import { runQueries, runQuery } from '../server/query/execute.ts';
import { preparedEngine, recordingPerPerson } from './helpers/engine.ts';

// By benefit code: at most 29 codes and their total; by age band and gender with totals: at most 9 x 2 + 9 + 2 + 1.
const LIMIT = 31;
const { engine: real, dispose } = await preparedEngine(60_000, 12, { limits: { maxRowsToGroupBy: LIMIT } });
t.teardown(dispose);
const { engine, perPerson } = recordingPerPerson(real);
const model = loadModel({ dir: resolve('cubes') });
const ctx = await createQueryContext(engine, model, { cellKeySecret: 'shared-scan-limits' });
const nazionale = { id: 'n', profile: 'nazionale' as const };
const specs = [
  { measures: ['beneficiari', 'importo'], rows: ['codice_prestazione'], totals: true },
  { measures: ['beneficiari', 'importo'], rows: ['fascia_eta'], columns: ['genere'], totals: true },
].map((s) => QuerySpecSchema.parse(s));

t.test('over the limit of groups together, under it alone', async (t) => {
  const P = real.table('prestazioni');
  const [{ codici }] = await real.query<{ codici: number }>(`SELECT uniqExact(codice_prestazione) codici FROM ${P}`);
  t.ok(codici + 1 <= LIMIT && codici + 1 > LIMIT / 2, `${codici} codes and their total: under the limit alone, over it with the other table`);

  const before = perPerson.length;
  const together = await runQueries(ctx, 'prestazioni', specs, nazionale);
  const queries = perPerson.slice(before);
  t.equal(queries.length, 3, 'the combined query, refused by the engine, then one query per plan');
  t.ok(queries[0].includes('`d_codice_prestazione`') && queries[0].includes('`d_fascia_eta`'), 'the first one combined both plans');
  for (const [i, spec] of specs.entries()) t.same(together[i], await runQuery(ctx, 'prestazioni', spec, nazionale), `plan ${i}: the answer it has alone`);
});
