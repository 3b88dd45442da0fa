import t from 'tap';
import { loadModel } from '../server/model/load.ts';
import { compileAggregate } from '../server/query/compile.ts';
import { groupingSetsFor, planQuery } from '../server/query/planner.ts';
import { QuerySpecSchema, type QuerySpecInput } from '../server/plan/spec.ts';
import { AppError } from '../server/errors.ts';
import { quoteIdentifier } from '../server/engine/client.ts';

const model = loadModel({ dir: 'cubes' });
const table = (name: string) => `\`pas\`.\`${name}\``;
const compile = (input: QuerySpecInput) => compileAggregate(planQuery(model, 'prestazioni', QuerySpecSchema.parse(input)).main, table);
const errorOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected an error');
};

t.test('a simple query: SQL and parameters', async (t) => {
  const q = compile({ measures: ['beneficiari', 'importo'], rows: ['regione'], filters: [{ dimension: 'anno', op: 'in', values: [2022, 2023] }] });
  t.equal(
    q.sql,
    'SELECT `regione` AS `d_regione`, uniqExact(`beneficiario_id`) AS `m_beneficiari`, toFloat64(sum(`importo`)) AS `m_importo`\n' +
      'FROM `pas`.`prestazioni`\n' +
      'WHERE `anno` IN {p0:Array(Int64)}\n' +
      'GROUP BY `d_regione`\n' +
      'ORDER BY `d_regione`\n' +
      'LIMIT {p1:UInt64}',
  );
  t.same(q.params, { p0: [2022, 2023], p1: 10000 });
});

t.test('hostile filter values are bound, never spliced', async (t) => {
  const evil = ["x' OR 1=1 --", 'a\\\' ; DROP TABLE prestazioni', '{p0:String}', '`regione`', "'); SELECT * FROM system.users; --"];
  const q = compile({ measures: ['importo'], filters: [{ dimension: 'comune', op: 'in', values: evil }, { dimension: 'ats', op: 'eq', value: "O'Brien" }] });
  for (const v of [...evil, "O'Brien"]) t.notOk(q.sql.includes(v), `value not in SQL: ${v}`);
  t.same(q.params.p0, evil);
  t.same(q.params.p1, ["O'Brien"]);
  t.match(q.sql, /`comune` IN \{p0:Array\(String\)\} AND `ats` IN \{p1:Array\(String\)\}/);
});

t.test('identifiers only from the model', async (t) => {
  t.throws(() => quoteIdentifier('regione`; DROP'), /invalid identifier/);
  t.equal(errorOf(() => compile({ measures: ['importo'], rows: ['regione; DROP TABLE x'] })).code, 'UNKNOWN_DIMENSION');
  t.equal(errorOf(() => compile({ measures: ['sum(importo)'] })).code, 'UNKNOWN_MEASURE');
  t.equal(errorOf(() => compile({ measures: ['importo'], order: [{ by: 'importo desc; --', direction: 'asc' }] })).code, 'INVALID_ORDER');
});

t.test('members are checked against the model and coerced', async (t) => {
  const e = errorOf(() => compile({ measures: ['importo'], filters: [{ dimension: 'area_utenza', op: 'eq', value: 7 }] }));
  t.equal(e.code, 'UNKNOWN_MEMBER');
  t.match(e.detail, /Valori ammessi: 0, 1, 2, 3/);
  t.equal(errorOf(() => compile({ measures: ['importo'], filters: [{ dimension: 'anno', op: 'eq', value: '2022 OR 1' }] })).code, 'INVALID_MEMBER');
  const q = compile({ measures: ['importo'], filters: [{ dimension: 'anno', op: 'eq', value: '2022' }] });
  t.same(q.params.p0, [2022], 'numeric strings become integers for integer dimensions');
  t.equal(errorOf(() => compile({ measures: ['importo'], filters: [{ dimension: 'regione', op: 'gte', value: '05' }] })).code, 'NOT_ORDERED');
  t.equal(errorOf(() => compile({ measures: ['importo'], rows: ['anno'], columns: ['anno'] })).code, 'DUPLICATE_DIMENSION');
});

t.test('ranges on bands become the member sets between the bounds', async (t) => {
  const q = compile({ measures: ['importo'], filters: [{ dimension: 'fascia_eta', op: 'between', values: ['18-24', '45-64'] }, { dimension: 'fascia_isee', op: 'lte', value: '3' }] });
  const arrays = Object.values(q.params).filter((v) => Array.isArray(v));
  t.same(arrays, [['18-24', '25-44', '45-64'], ['1', '2', '3']], 'missing ISEE band excluded from the range');
  t.match(q.sql, /multiIf\(`eta` <= 2, \{p0:String\}, `eta` <= 5, \{p1:String\}/);
  const r = compile({ measures: ['importo'], filters: [{ dimension: 'anno', op: 'between', values: [2020, 2022] }] });
  t.match(r.sql, /WHERE \(`anno` >= \{p0:Int64\} AND `anno` <= \{p1:Int64\}\)/);
});

t.test('grouping sets for totals and subtotals', async (t) => {
  t.same(groupingSetsFor({ rows: ['a', 'b'], columns: ['c'], totals: true, subtotals: false }), [['a', 'b', 'c'], ['a', 'b'], ['c'], []]);
  t.same(groupingSetsFor({ rows: ['a', 'b'], columns: ['c'], totals: false, subtotals: true }), [['a', 'b', 'c'], ['a', 'c'], ['c']]);
  t.same(groupingSetsFor({ rows: ['a', 'b'], columns: [], totals: true, subtotals: true }), [['a', 'b'], ['a'], []]);
  t.equal(groupingSetsFor({ rows: ['a'], columns: [], totals: false, subtotals: false }), null);
  const q = compile({ measures: ['beneficiari'], rows: ['regione'], columns: ['anno'], totals: true });
  t.match(q.sql, /GROUP BY GROUPING SETS \(\(`d_regione`, `d_anno`\), \(`d_regione`\), \(`d_anno`\), \(\)\)/);
  t.match(q.sql, /grouping\(`d_regione`, `d_anno`\) AS __grouping/);
  t.match(q.sql, /SETTINGS group_by_use_nulls = 1$/);
});

t.test('derived measures are computed from engine aggregates, cross-cube ones planned on the other cube', async (t) => {
  const plan = planQuery(model, 'prestazioni', QuerySpecSchema.parse({ measures: ['importo_medio', 'quota_popolazione'], rows: ['regione', 'categoria'], totals: true }));
  t.same(plan.outputs, ['importo_medio', 'quota_popolazione']);
  t.same(plan.main.measures.map((m) => m.name).sort(), ['beneficiari', 'importo']);
  t.equal(plan.crossRatios.length, 1);
  t.equal(plan.crossRatios[0].plan.table, 'popolazione');
  t.same(plan.crossRatios[0].sharedDimensions, ['regione'], 'categoria is not a population dimension');
  t.same(plan.crossRatios[0].plan.groupingSets, [['regione'], []]);
});
