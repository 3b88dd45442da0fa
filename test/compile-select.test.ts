/**
 * Select plans (issue #17): the reads that are not answers of a cube (PON
 * microdata, the territory directory, labels, demo users, the admin's catalog)
 * are plans compiled by the one compiler; SQL text carries placeholders only,
 * values travel as parameters. The gate scopes a principal's PON read to one ATS.
 */
import t from 'tap';
import { compileSelect } from '../server/query/compile.ts';
import { call, column, selectFrom, value, type SelectPlan } from '../server/plan/select.ts';
import { securePon, systemRead } from '../server/security/gate.ts';
import { Directory } from '../server/security/directory.ts';
import { loadModel } from '../server/model/load.ts';
import { quoteIdentifier } from '../server/engine/client.ts';

/** As engine.table: a model table name, quoted. */
const table = (name: string) => `\`pas\`.${quoteIdentifier(name)}`;
const EVIL = ["x' OR 1=1 --", '{p9:String}', '`regione`', "'); SELECT * FROM system.users; --"];

t.test('a select plan: SQL and parameters, bound in the order of the text', async (t) => {
  const plan = selectFrom('territorio', ['regione', ['nome', call('any', column('regione_nome'))], ['comune', call('argMax', column('comune'), column('popolazione_comune'))]], {
    where: [{ kind: 'in', expr: column('ats'), values: ['A1', 'A2'], type: 'String', negate: false }],
    groupBy: [column('regione')],
    order: [{ expr: call('equals', column('regione'), value('12', 'String')), direction: 'desc' }, { expr: call('count'), direction: 'desc' }, { expr: column('regione'), direction: 'asc' }],
    limit: 1,
  });
  const q = compileSelect(systemRead(plan), table);
  t.equal(
    q.sql,
    'SELECT `regione` AS `regione`, any(`regione_nome`) AS `nome`, argMax(`comune`, `popolazione_comune`) AS `comune`\n' +
      'FROM `pas`.`territorio`\n' +
      'WHERE `ats` IN {p0:Array(String)}\n' +
      'GROUP BY `regione`\n' +
      'ORDER BY equals(`regione`, {p1:String}) DESC, count() DESC, `regione` ASC\n' +
      'LIMIT {p2:UInt64}',
  );
  t.same(q.params, { p0: ['A1', 'A2'], p1: '12', p2: 1 });
});

t.test('hostile values in a select plan are bound, never spliced', async (t) => {
  const plan = selectFrom('pon_nuclei', ['nucleo_id', ['tag', value(EVIL[0], 'String')]], {
    where: [
      { kind: 'in', expr: column('nucleo_id'), values: EVIL, type: 'String', negate: true },
      { kind: 'match', expr: column('nucleo_id'), mode: 'contains', text: EVIL[3] },
    ],
  });
  const q = compileSelect(systemRead(plan), table);
  for (const v of EVIL) t.notOk(q.sql.includes(v), `value not in SQL: ${v}`);
  t.same(Object.values(q.params), [EVIL[0], EVIL, EVIL[3]]);
  // Outside identifiers, the text is keywords, function names and placeholders only.
  t.same(q.sql.replace(/`[A-Za-z_][A-Za-z0-9_]*`/g, 'ID').match(/\{[^}]*\}/g), ['{p0:String}', '{p1:Array(String)}', '{p2:String}']);
  t.notMatch(q.sql, /'/, 'no string literal in the SQL text');
});

t.test("the catalog of tables is the engine's system.tables; the database is a parameter like any value", async (t) => {
  const plan: SelectPlan = { kind: 'select', from: { kind: 'catalog', name: 'tables' }, columns: [{ alias: 'name', expr: column('name') }], where: [{ kind: 'in', expr: column('database'), values: ['pas'], type: 'String', negate: false }] };
  const q = compileSelect(systemRead(plan), table);
  t.equal(q.sql, 'SELECT `name` AS `name`\nFROM system.`tables`\nWHERE `database` IN {p0:Array(String)}');
  t.same(q.params, { p0: ['pas'] });
});

t.test('only listed functions, valid identifiers and named columns reach the SQL: otherwise a typed internal error', async (t) => {
  const bad = (plan: SelectPlan) => () => compileSelect(systemRead(plan), table);
  t.throws(bad(selectFrom('t', [['x', { kind: 'call', fn: 'sleep' as never, args: [] }]])), { code: 'INTERNAL', status: 500 }, 'a function not on the list');
  t.throws(bad(selectFrom('t', [['x`; DROP', column('a')]])), { code: 'INTERNAL', message: /invalid identifier/ }, 'a hostile alias');
  t.throws(bad(selectFrom('t; DROP', ['a'])), { code: 'INTERNAL' }, 'a hostile table name');
  t.throws(bad(selectFrom('t', [])), { code: 'INTERNAL' }, 'no column');
});

t.test('PON microdata: the gate scopes every plan to the one ATS the principal may read', async (t) => {
  const model = loadModel({ dir: 'cubes' });
  const directory = new Directory(
    [
      { comune: '058091', comune_nome: 'Roma', ats: 'ATS12001', ats_nome: 'Ambito di Roma', regione: '12', regione_nome: 'Lazio' },
      { comune: '015146', comune_nome: 'Milano', ats: 'ATS03001', ats_nome: 'Ambito di Milano', regione: '03', regione_nome: 'Lombardia' },
    ],
    [],
  );
  const ctx = { model, directory };
  const plans = { a: selectFrom('pon_nuclei', ['nucleo_id']), b: selectFrom('pon_servizi', ['tipo'], { where: [{ kind: 'in', expr: column('tipo'), values: [1], type: 'Int64', negate: false }] }) };
  const own = securePon(plans, undefined, { id: 'u', profile: 'ats', scope: 'ATS12001' }, ctx, true);
  t.equal(own.ats, 'ATS12001', "an ATS user reads its own by default");
  const a = compileSelect(own.plans.a, table);
  t.equal(a.sql, 'SELECT `nucleo_id` AS `nucleo_id`\nFROM `pas`.`pon_nuclei`\nWHERE `ats` IN {p0:Array(String)}');
  t.same(a.params, { p0: ['ATS12001'] });
  const b = compileSelect(own.plans.b, table);
  t.match(b.sql, /WHERE `ats` IN \{p0:Array\(String\)\} AND `tipo` IN \{p1:Array\(Int64\)\}$/, 'the scope comes first, the plan keeps its own condition');
  t.same(b.params, { p0: ['ATS12001'], p1: [1] });
  t.equal(own.plans.a.reader, 'principal');

  t.equal(securePon(plans, 'ATS12001', { id: 'r', profile: 'regionale', scope: '12' }, ctx, false).ats, 'ATS12001', 'a Regione reads an ATS of its own');
  t.throws(() => securePon(plans, 'ATS03001', { id: 'r', profile: 'regionale', scope: '12' }, ctx, false), { code: 'FORBIDDEN_SCOPE' }, 'not one of another Regione');
  t.throws(() => securePon(plans, 'ATS03001', { id: 'u', profile: 'ats', scope: 'ATS12001' }, ctx, false), { code: 'FORBIDDEN_SCOPE' }, 'nor an ATS another one');
  t.throws(() => securePon(plans, 'ATS12001', { id: 'n', profile: 'nazionale' }, ctx, true), { code: 'FORBIDDEN_SCOPE' }, 'member ids only for the ATS itself');
  t.throws(() => securePon(plans, 'ATS99999', { id: 'n', profile: 'nazionale' }, ctx, false), { code: 'UNKNOWN_MEMBER' });
  t.throws(() => securePon(plans, '058091', { id: 'c', profile: 'comunale', scope: '058091' }, ctx, false), { code: 'FORBIDDEN_SCOPE' }, 'not a Comune');
});
