/**
 * The per-person form of a protected query (compileAggregate with the plan's person: each person's
 * rows in a cell added up first, the cell's figures from those) gives the same rows, in the same
 * order, as the one-level form over the same data (the same plan with the person left out), for
 * every cube under a disclosure rule: all its measures, with and without totals and subtotals,
 * filters, conditional measures, paging by a measure, a benchmark cell's comuni, and a scope.
 * The published figures themselves are checked against hand-written SQL in the security tests.
 */
import t, { type Test } from 'tap';
import { createQueryContext } from '../server/context.ts';
import { prepareData } from '../server/data/bootstrap.ts';
import { loadModel } from '../server/model/load.ts';
import type { AggregatePlan } from '../server/plan/plan.ts';
import { QuerySpecSchema, type QuerySpecInput } from '../server/plan/spec.ts';
import { compileAggregate } from '../server/query/compile.ts';
import { planQuery } from '../server/query/planner.ts';
import { secure } from '../server/security/gate.ts';
import type { Principal } from '../server/security/principal.ts';
import { TEST_CELL_KEY_SECRET } from './helpers/app.ts';
import { tempEngine } from './helpers/engine.ts';

const { engine, dispose } = await tempEngine();
t.teardown(dispose);
await prepareData(engine, { demoRows: 30_000, seed: 5, log: () => {} });
const model = loadModel({ dir: 'cubes' });
const ctx = await createQueryContext(engine, model, { cellKeySecret: TEST_CELL_KEY_SECRET });

const [{ ats }] = await engine.query<{ ats: string }>(`SELECT ats FROM ${engine.table('prestazioni')} GROUP BY ats ORDER BY count() DESC, ats LIMIT 1`);
const national: Principal = { id: 'n', profile: 'nazionale' };
const local: Principal = { id: 'a', profile: 'ats', scope: ats };

/**
 * Floats rounded to 1e-6 (the one-level form adds a person's amounts as Float64, the per-person one as
 * Decimal); lists sorted (a benchmark cell's comuni are a set, in no order in either form).
 */
const canonical = (rows: unknown[]) => JSON.stringify(rows, (_k, v) => (typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : Array.isArray(v) && v.every((x) => typeof x === 'string') ? [...v].sort() : v));

async function compare(t: Test, cubeName: string, input: QuerySpecInput, principal: Principal) {
  const plan: AggregatePlan = secure(planQuery(model, cubeName, QuerySpecSchema.parse(input)), principal, ctx).main;
  t.ok(plan.person, 'the gate names the person of the protected plan');
  const perPerson = compileAggregate(plan, engine.table);
  const oneLevel = compileAggregate({ ...plan, person: undefined }, engine.table);
  t.match(perPerson.sql, /FROM \(SELECT/, 'the per-person form is a query over one row per person and cell');
  t.notMatch(oneLevel.sql, /FROM \(SELECT/, 'the reference is the one-level form');
  const [expected, actual] = await Promise.all([engine.query(oneLevel.sql, oneLevel.params), engine.query(perPerson.sql, perPerson.params)]);
  t.ok(expected.length > 0, 'the reference has rows');
  t.equal(canonical(actual), canonical(expected), 'same rows in the same order');
}

for (const cube of model.cubes.values()) {
  if (!cube.disclosure || cube.hidden) continue;
  const dims = [...cube.dimensions.keys()].filter((d) => !['regione', 'ats', 'comune', 'territorio'].includes(d));
  const measures = [...cube.measures.values()].filter((m) => m.kind !== 'ratio' || !m.denominator.cube).map((m) => m.name);
  const conditional = [...cube.measures.values()].filter((m) => m.kind !== 'ratio' && Object.keys(m.where).length > 0).map((m) => m.name);
  t.test(cubeName(cube.name), async (t) => {
    await compare(t, cube.name, { measures, rows: [dims[0], dims[1]], columns: [dims[2]], totals: true, subtotals: true }, national);
    await compare(t, cube.name, { measures, rows: [dims[1]], totals: true }, local);
    await compare(t, cube.name, { measures }, local);
    await compare(t, cube.name, { measures: [measures[0]], rows: [dims[0]], columns: [dims[1]], order: [{ by: measures[0], direction: 'desc' }], limit: 5, offset: 2 }, national);
    if (conditional.length) await compare(t, cube.name, { measures: conditional, rows: [dims[0]], totals: true }, local);
  });
}

t.test('a benchmark cell: its comuni and figures', async (t) => {
  await compare(t, 'prestazioni', { measures: ['beneficiari', 'importo'], rows: ['categoria'], totals: true, benchmark: 'regione' }, local);
});

function cubeName(name: string) {
  return `cube ${name}: every measure, totals and subtotals, a scope, paging`;
}
