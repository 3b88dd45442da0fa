/** The MDX grammar (statements Excel and olap4j send, errors with line and column) and the mapping of cell groupings to REST specs. */
import t from 'tap';
import { planSpecs } from '../server/xmla/cells.ts';
import { parseMdx } from '../server/xmla/mdx/parser.ts';
import { groupingSetsFor } from '../server/query/planner.ts';

t.test('statements as Excel writes them parse into axes, sub-selects, slicer and cell properties', async (t) => {
  const st = parseMdx(
    'WITH SET [XL_Row] AS \'Hierarchize({[a].[a].[All]})\' SELECT NON EMPTY Hierarchize({DrilldownLevel({[tempo].[tempo].[All]},,,INCLUDE_CALC_MEMBERS)}) DIMENSION PROPERTIES PARENT_UNIQUE_NAME,HIERARCHY_UNIQUE_NAME ON COLUMNS , ' +
      'NON EMPTY [XL_Row] ON ROWS FROM (SELECT ({[anno].[anno].&[2023]}) ON COLUMNS FROM [prestazioni]) WHERE ([Measures].[importo]) CELL PROPERTIES VALUE, FORMAT_STRING, FORMATTED_VALUE',
  );
  if (st.kind !== 'select') throw new Error('expected a select');
  t.equal(st.axes.length, 2);
  t.same(st.axes.map((a) => [a.nonEmpty, a.ordinal]), [[true, 0], [true, 1]]);
  t.same(st.axes[0].properties, ['PARENT_UNIQUE_NAME', 'HIERARCHY_UNIQUE_NAME']);
  t.same(st.cellProperties, ['VALUE', 'FORMAT_STRING', 'FORMATTED_VALUE']);
  t.equal(st.withSets[0].name, 'XL_Row');
  t.match(st.from, { kind: 'subselect', select: { from: { kind: 'cube', name: 'prestazioni' } } });
  t.match(st.axes[0].set, { kind: 'call', name: 'HIERARCHIZE', args: [{ kind: 'set', items: [{ kind: 'call', name: 'DRILLDOWNLEVEL', args: [{ kind: 'set' }, null, null, { kind: 'name' }] }] }] });
  t.match(st.where, { kind: 'tuple', items: [{ kind: 'name', parts: [{ name: 'Measures' }, { name: 'importo' }] }] });
});

t.test('composite keys, bare names, member functions, axis numbers, comments and escaped brackets', async (t) => {
  const st = parseMdx('SELECT {[tempo].[tempo].[trimestre].&[2023]&[1], [a]]b].Children} ON 0, [territorio].[territorio].[regione].Members * {[genere].[genere].&[1]} ON AXIS(1) FROM [c] -- comment\n/* block */');
  if (st.kind !== 'select') throw new Error('expected a select');
  t.match(st.axes[0].set, { kind: 'set', items: [{ kind: 'name', parts: [{ name: 'tempo' }, { name: 'tempo' }, { name: 'trimestre' }, { keys: ['2023', '1'] }] }, { kind: 'prop', name: 'CHILDREN', target: { parts: [{ name: 'a]b' }] } }] });
  t.match(st.axes[1].set, { kind: 'binary', op: '*', left: { kind: 'prop', name: 'MEMBERS' } });
});

t.test('$system DMV queries', async (t) => {
  t.same(parseMdx("SELECT * FROM $system.MDSCHEMA_CUBES WHERE CUBE_NAME = 'prestazioni' AND CATALOG_NAME = 'PAS'"), { kind: 'dmv', rowset: 'MDSCHEMA_CUBES', columns: '*', where: { CUBE_NAME: ['prestazioni'], CATALOG_NAME: ['PAS'] } });
  t.match(parseMdx('SELECT [CUBE_NAME], LEVEL_NAME FROM $SYSTEM.mdschema_levels ORDER BY LEVEL_NAME'), { kind: 'dmv', rowset: 'MDSCHEMA_LEVELS', columns: ['CUBE_NAME', 'LEVEL_NAME'] });
});

t.test('syntax errors name line and column and what was expected', async (t) => {
  const cases: [string, RegExp][] = [
    ['SELECT {[a]} ON 0\nFROM', /riga 2, colonna 5: atteso il nome del cubo, trovato la fine del testo/],
    ['SELECT {[a] ON 0 FROM [c]', /riga 1, colonna 13: atteso "}", trovato "ON"/],
    ['SELECT {[a]} ON ROWS FROM [c]', /riga 1, colonna 8: gli assi vanno elencati in ordine: atteso l'asse 0, trovato l'asse 1/],
    ['SELECT {[a} ON 0 FROM c', /riga 1, colonna 9: nome tra parentesi quadre non chiuso/],
    ["SELECT {'x} ON 0 FROM [c]", /riga 1, colonna 9: stringa non chiusa/],
    ['SELECT {[a]} ON 0 FROM [c] WHERE ([b]) garbage', /riga 1, colonna 40: atteso la fine dell'istruzione, trovato "garbage"/],
    ['WITH MEMBER [Measures].[x] AS 1 SELECT {[Measures].[x]} ON 0 FROM [c]', /riga 1, colonna 6: i membri calcolati \(WITH MEMBER\) non sono supportati/],
    ['SELECT {[a]} ON 0 FROM [c] ^', /riga 1, colonna 28: carattere inatteso "\^"/],
  ];
  for (const [mdx, message] of cases) t.throws(() => parseMdx(mdx), { message }, mdx);
});

t.test('cell groupings map to the pivot spec with the totals it needs, plus one spec per grouping its GROUPING SETS miss', async (t) => {
  const all = (rows: string[], cols: string[]) => [...rows, ...cols];
  // Detail only: no totals asked of the server.
  let specs = planSpecs(['regione'], ['anno'], [all(['regione'], ['anno'])], ['beneficiari'], []);
  t.same(specs.map((s) => [s.rows, s.columns, s.totals, s.subtotals]), [[['regione'], ['anno'], false, false]]);
  // Grand total and column totals: totals, no subtotals.
  specs = planSpecs(['regione'], ['anno'], [['regione', 'anno'], ['regione'], ['anno'], []], ['beneficiari'], []);
  t.same(specs.map((s) => [s.rows, s.columns, s.totals, s.subtotals]), [[['regione'], ['anno'], true, false]]);
  // Two row fields, every combination (what CrossJoin of two DrilldownLevel({All}) asks): totals+subtotals cover the prefixes;
  // the groupings by the second field alone are asked on their own.
  const groupings = [[], ['regione'], ['genere'], ['regione', 'genere']].flatMap((r) => [[...r], [...r, 'anno']]);
  specs = planSpecs(['regione', 'genere'], ['anno'], groupings, ['beneficiari'], []);
  t.same(specs[0], { ...specs[0], rows: ['regione', 'genere'], columns: ['anno'], totals: true, subtotals: true });
  t.same(specs.slice(1).map((s) => [s.rows, s.columns, s.totals, s.subtotals]).sort(), [
    [['genere'], [], false, false],
    [['genere'], ['anno'], false, false],
  ]);
  const covered = new Set([...(groupingSetsFor(specs[0]) ?? []), ...specs.slice(1).map((s) => [...s.rows, ...s.columns])].map((g) => [...g].sort().join()));
  for (const g of groupings) t.ok(covered.has([...g].sort().join()), `grouping ${g.join(',') || '(totale)'} answered by the server`);
});
