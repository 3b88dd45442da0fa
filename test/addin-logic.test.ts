/** The pane's pure logic: from the user's choices to the query contract, and the report layout. */
import t from 'tap';
import { emptyState, toggleAxis, toSpec } from '../addin/src/query-builder.ts';
import { QuerySpecSchema } from '../server/plan/spec.ts';

t.test('choices become a valid query', async (t) => {
  let s = emptyState('prestazioni');
  s.measures = ['beneficiari', 'importo'];
  s = toggleAxis(s, 'regione', 'rows');
  s = toggleAxis(s, 'anno', 'columns');
  s = toggleAxis(s, 'ats', 'rows');
  s.filters = { genere: { keys: [2], exclude: false }, categoria: { keys: ['A1', 'A2'], exclude: true }, comune: { keys: [], exclude: false } };
  s.subtotals = true;
  const spec = toSpec(s);
  t.same(spec, {
    measures: ['beneficiari', 'importo'],
    rows: ['regione', 'ats'],
    columns: ['anno'],
    filters: [
      { dimension: 'genere', op: 'eq', value: 2 },
      { dimension: 'categoria', op: 'not_in', values: ['A1', 'A2'] },
    ],
    totals: true,
    subtotals: true,
  });
  t.ok(QuerySpecSchema.safeParse(spec).success, 'accepted by the server schema');
});

t.test('moving a dimension between axes never duplicates it', async (t) => {
  let s = emptyState('c');
  s = toggleAxis(s, 'anno', 'rows');
  s = toggleAxis(s, 'anno', 'columns');
  t.same([s.rows, s.columns], [[], ['anno']]);
  s = toggleAxis(s, 'anno', 'none');
  t.same([s.rows, s.columns], [[], []]);
  s.measures = ['x'];
  s = toggleAxis(s, 'genere', 'rows');
  t.equal(toSpec(s).subtotals, false, 'subtotals need two row dimensions');
});

t.test('grid: column headers stay above their figures even without row dimensions', async (t) => {
  const { toGrid } = await import('../server/present/grid.ts');
  const grid = toGrid({
    cube: 'c', cubeLabel: { it: 'C' }, filters: [], dataDate: '', dataVersion: 'L1', demo: false, truncated: false,
    columns: [
      { name: 'anno', kind: 'dimension', axis: 'columns', label: { it: 'Anno' }, format: 'text', type: 'integer' },
      { name: 'n', kind: 'measure', label: { it: 'N' }, format: 'integer' },
    ],
    rows: [{ anno: 2022, n: 1 }, { anno: 2023, n: 2 }],
    labels: { anno: { '2022': { it: '2022' }, '2023': { it: '2023' } } },
  });
  const yearRow = grid.values[grid.headerEnd - 1];
  const body = grid.values[grid.headerEnd + 1];
  t.same(yearRow.slice(0, 2), ['2022', '2023']);
  t.same(body.slice(0, 2), [1, 2], 'each figure under its year');
});
