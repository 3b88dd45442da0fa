import t from 'tap';
import { buildPTable, perturbCount, ptableProblem } from '../server/security/ptable.ts';

const cases = [
  { D: 3, V: 1.5, js: 2 },
  { D: 2, V: 1, js: 2 },
  { D: 5, V: 3, js: 2 },
  { D: 2, V: 1.05, js: 1 },
];

for (const params of cases) {
  t.test(`p-table D=${params.D} V=${params.V} js=${params.js}`, async (t) => {
    const table = buildPTable(params);
    t.equal(table.rows.length, params.D + params.js + 2, 'rows 0 .. D + js + 1');
    for (const row of table.rows) {
      const total = row.targets.reduce((s, x) => s + x.p, 0);
      const mean = row.targets.reduce((s, x) => s + x.p * (x.j - row.i), 0);
      const variance = row.targets.reduce((s, x) => s + x.p * (x.j - row.i) ** 2, 0);
      t.ok(Math.abs(total - 1) < 1e-9, `i=${row.i}: probabilities add up to 1`);
      t.ok(Math.abs(mean) < 1e-9, `i=${row.i}: unbiased (mean noise ${mean})`);
      t.ok(Math.abs(variance - row.variance) < 1e-9, `i=${row.i}: declared variance is the real one`);
      for (const x of row.targets) {
        t.ok(Math.abs(x.j - row.i) <= params.D, `i=${row.i} -> ${x.j}: |noise| <= D`);
        t.ok(x.j === 0 || x.j > params.js, `i=${row.i} -> ${x.j}: never 1..js`);
        t.ok(x.p > 0 && x.hi > x.lo, 'a target has a non-empty key interval');
      }
      t.equal(row.targets[0].lo, 0);
      t.equal(row.targets[row.targets.length - 1].hi, 1, 'the key intervals cover [0,1)');
    }
    t.same(table.rows[0].targets.map((x) => x.j), [0], 'zero stays zero');
    // Where V is reachable (all rows whose targets reach both sides of i), the variance is V.
    const last = table.rows[table.rows.length - 1];
    t.ok(Math.abs(last.variance - params.V) < 1e-9, 'the common row of large counts has variance V');
    for (const row of table.rows.slice(params.js + 1)) {
      const reachable = row.targets.some((x) => x.j < row.i) && row.targets.some((x) => x.j > row.i);
      if (reachable) t.ok(Math.abs(row.variance - params.V) < 1e-6, `i=${row.i}: variance V`);
    }
  });
}

t.test('maximum entropy: among unbiased distributions with variance V, the p-table has the largest entropy', async (t) => {
  const table = buildPTable({ D: 3, V: 1.5, js: 2 });
  const row = table.rows[table.rows.length - 1];
  const entropy = (p: number[]) => -p.reduce((s, x) => s + (x > 0 ? x * Math.log(x) : 0), 0);
  const p = row.targets.map((x) => x.p);
  const v = row.targets.map((x) => x.j - row.i);
  // Move mass along directions that keep sum, mean and variance: none may raise the entropy.
  let worse = 0;
  for (let trial = 0; trial < 200; trial++) {
    const d = v.map(() => Math.random() - 0.5);
    // Project d on the null space of [1, v, v^2] (Gram-Schmidt on the three constraint vectors).
    const basis: number[][] = [];
    for (const c of [v.map(() => 1), v, v.map((x) => x * x)]) {
      let w = [...c];
      for (const b of basis) {
        const dot = w.reduce((s, x, i) => s + x * b[i], 0);
        w = w.map((x, i) => x - dot * b[i]);
      }
      const n = Math.hypot(...w);
      basis.push(w.map((x) => x / n));
    }
    let dp = [...d];
    for (const b of basis) {
      const dot = dp.reduce((s, x, i) => s + x * b[i], 0);
      dp = dp.map((x, i) => x - dot * b[i]);
    }
    const q = p.map((x, i) => x + 1e-3 * dp[i]);
    if (q.every((x) => x > 0) && entropy(q) > entropy(p) + 1e-12) worse++;
  }
  t.equal(worse, 0, 'no feasible perturbation has higher entropy');
});

t.test('lookup: the key picks the target whose interval holds it; large counts shift the common row', async (t) => {
  const table = buildPTable({ D: 3, V: 1.5, js: 2 });
  t.equal(perturbCount(table, 0, 0.99), 0);
  const one = table.rows[1].targets;
  // V = 1.5 is below the least variance an unbiased move of a 1 to {0, 3, 4} can have (2): the two-point one.
  t.same(one.map((x) => x.j), [0, 3], 'a 1 becomes 0 (2/3) or 3 (1/3)');
  t.ok(Math.abs(one[0].p - 2 / 3) < 1e-12);
  t.equal(perturbCount(table, 1, 0), 0);
  t.equal(perturbCount(table, 1, one[1].lo), 3);
  t.equal(perturbCount(table, 1, 0.999999), 3);
  const last = table.rows[table.rows.length - 1];
  for (const x of last.targets) t.equal(perturbCount(table, 1000, (x.lo + x.hi) / 2), 1000 + x.j - last.i);
  // Empirical check over a uniform grid of keys: mean noise ~0, variance ~V, no 1 or 2 published.
  for (const n of [1, 2, 3, 4, 5, 50]) {
    let s = 0;
    let s2 = 0;
    const N = 100_000;
    let small = 0;
    for (let k = 0; k < N; k++) {
      const out = perturbCount(table, n, (k + 0.5) / N);
      s += out - n;
      s2 += (out - n) ** 2;
      if (out === 1 || out === 2) small++;
    }
    t.ok(Math.abs(s / N) < 1e-3, `n=${n}: mean noise ${s / N}`);
    t.equal(small, 0, `n=${n}: never 1 or 2`);
    if (n >= 3) t.ok(Math.abs(s2 / N - 1.5) < 1e-2, `n=${n}: variance ${s2 / N}`);
  }
});

t.test('parameters that cannot give a p-table are refused with a reason', async (t) => {
  t.match(ptableProblem({ D: 1, V: 0.5, js: 2 }), /at least js = 2/);
  t.match(ptableProblem({ D: 3, V: 10, js: 2 }), /at most D² = 9/);
  t.match(ptableProblem({ D: 0, V: 1, js: 2 }), /integer from 1 to 20/);
  t.equal(ptableProblem({ D: 3, V: 1.5, js: 2 }), undefined);
  t.throws(() => buildPTable({ D: 1, V: 0.5, js: 2 }), /p-table/);
});
