import t from 'tap';
import { PERSONS, protect } from '../server/security/disclosure.ts';
import type { ResultRow } from '../server/plan/result.ts';

const rule = { person: 'beneficiario_id', threshold: 3 };

/** A crosstab comune x anno with row totals, column totals and a grand total, persons and importo per cell. */
function fixture(): ResultRow[] {
  const cells: [string | null, number | null, number, number][] = [
    // comune, anno, persons, importo
    ['A', 2022, 10, 1000],
    ['A', 2023, 2, 300], // fewer than 3 persons: primary
    ['A', null, 11, 1300],
    ['B', 2022, 5, 500],
    ['B', 2023, 7, 700],
    ['B', null, 12, 1200],
    ['C', 2022, 4, 400],
    ['C', 2023, 6, 600],
    ['C', null, 9, 1000],
    [null, 2022, 19, 1900],
    [null, 2023, 15, 1600],
    [null, null, 30, 3500],
  ];
  return cells.map(([comune, anno, n, importo]) => {
    const rollup = [...(comune === null ? ['comune'] : []), ...(anno === null ? ['anno'] : [])];
    return { comune, anno, [PERSONS]: n, beneficiari: n, importo, ...(rollup.length ? { rollup } : {}) };
  });
}
const find = (rows: ResultRow[], comune: string | null, anno: number | null) => rows.find((r) => r.comune === comune && r.anno === anno)!;

t.test('primary suppression hides every measure of a small cell', async (t) => {
  const rows = fixture();
  const report = protect(rows, ['comune', 'anno'], ['beneficiari', 'importo'], rule);
  const cell = find(rows, 'A', 2023);
  t.equal(cell.suppressed, 'primary');
  t.equal(cell.importo, null, 'the amount is hidden too');
  t.equal(cell.beneficiari, null);
  t.equal(report.primary, 1);
  t.notOk(rows.some((r) => PERSONS in r), 'the person count never leaves the server');
});

t.test('a suppressed cell cannot be recovered from its row or column total', async (t) => {
  const rows = fixture();
  protect(rows, ['comune', 'anno'], ['beneficiari', 'importo'], rule);
  // Try the differencing attack along every group that contains A-2023.
  const rowTotal = find(rows, 'A', null);
  const rowPeers = rows.filter((r) => r.comune === 'A' && r.anno !== null && r.anno !== 2023);
  const colTotal = find(rows, null, 2023);
  const colPeers = rows.filter((r) => r.anno === 2023 && r.comune !== null && r.comune !== 'A');
  const recoverable = (total: ResultRow, peers: ResultRow[]) => total.importo !== null && peers.every((p) => p.importo !== null);
  t.notOk(recoverable(rowTotal, rowPeers), 'row total minus visible cells does not give A-2023');
  t.notOk(recoverable(colTotal, colPeers), 'column total minus visible cells does not give A-2023');
  // And every group with a total now has zero or at least two hidden cells.
  for (const [total, members] of [
    [find(rows, 'A', null), rows.filter((r) => r.comune === 'A' && r.anno !== null)],
    [find(rows, null, 2023), rows.filter((r) => r.anno === 2023 && r.comune !== null)],
    [find(rows, null, 2022), rows.filter((r) => r.anno === 2022 && r.comune !== null)],
    [find(rows, null, null), rows.filter((r) => r.comune === null && r.anno !== null)],
  ] as const) {
    const hidden = members.filter((m) => m.suppressed).length;
    t.ok(total.suppressed || hidden !== 1, `group of ${JSON.stringify([total.comune, total.anno])}: ${hidden} hidden`);
  }
  // The heuristic picks the smallest complementary cells: A-2022 has 10 persons, B-2023 7, C-2023 6.
  t.equal(find(rows, 'C', 2023).suppressed, 'secondary', 'smallest cell in the 2023 column');
  t.equal(find(rows, 'A', 2022).suppressed, 'secondary', 'the only other cell in row A');
  t.equal(find(rows, 'C', 2022).suppressed, 'secondary', 'C-2022 protects C-2023 in row C');
  t.equal(find(rows, 'B', 2022).suppressed, undefined, 'B stays visible');
  t.equal(find(rows, null, null).importo, 3500, 'the grand total stays visible');
});

t.test('without totals in the answer there is nothing to difference: only primary suppression', async (t) => {
  const rows = fixture().filter((r) => !r.rollup);
  const report = protect(rows, ['comune', 'anno'], ['beneficiari', 'importo'], rule);
  t.same(report, { threshold: 3, primary: 1, secondary: 0 });
});

t.test('a total with a single suppressed child is itself hidden', async (t) => {
  const rows: ResultRow[] = [
    { comune: 'A', [PERSONS]: 2, importo: 10 },
    { comune: null, rollup: ['comune'], [PERSONS]: 2, importo: 10 },
  ];
  protect(rows, ['comune'], ['importo'], rule);
  t.equal(rows[1].suppressed, 'primary', 'the total has fewer than 3 persons too');
  const rows2: ResultRow[] = [
    { comune: 'A', anno: 2022, [PERSONS]: 2, importo: 10 },
    { comune: 'A', anno: null, rollup: ['anno'], [PERSONS]: 4, importo: 30 },
    { comune: 'A', anno: 2023, [PERSONS]: 3, importo: 20 },
  ];
  protect(rows2, ['comune', 'anno'], ['importo'], rule);
  t.equal(rows2[2].suppressed, 'secondary');
  t.equal(rows2[1].importo, 30);
});
