/**
 * The perturbation table (p-table) of the cell key method, built like the R
 * package `ptable` (sdcTools): for each true count i, a distribution of the
 * published count j over [i - D, i + D] that
 *   - is unbiased (mean noise 0),
 *   - has variance V (or the closest variance the allowed targets permit),
 *   - never publishes 1..js (with js = threshold - 1: no 1s and 2s for the SISTAN floor of 3),
 *   - keeps zeros zero,
 *   - has maximum entropy among the distributions meeting those constraints.
 * Every i from D + js + 1 on has the same (symmetric) noise distribution.
 * Pure: no I/O, deterministic; the lookup maps (count, uniform key) to the published count.
 */
import { invariant } from '../errors.ts';

export interface PTableParams {
  /** Maximum absolute noise. */
  readonly D: number;
  /** Target noise variance. */
  readonly V: number;
  /** Largest blocked positive value: 1..js are never published. */
  readonly js: number;
}

export interface PTableTarget {
  /** Published count. */
  readonly j: number;
  readonly p: number;
  /** The key interval [lo, hi) of [0,1) that selects this target. */
  readonly lo: number;
  readonly hi: number;
}

export interface PTableRow {
  /** True count (the last row stands for every count from it on). */
  readonly i: number;
  readonly targets: readonly PTableTarget[];
  /** Noise variance actually achieved (V unless the allowed targets make V impossible). */
  readonly variance: number;
}

export interface PTable {
  readonly params: PTableParams;
  readonly rows: readonly PTableRow[];
}

/** Why the parameters cannot give a p-table, or undefined when they can. */
export function ptableProblem(p: PTableParams): string | undefined {
  if (!Number.isInteger(p.D) || p.D < 1 || p.D > 20) return 'the maximum noise D must be an integer from 1 to 20';
  if (!Number.isInteger(p.js) || p.js < 0 || p.js > 20) return 'js must be an integer from 0 to 20';
  if (p.D < p.js) return `the maximum noise D (${p.D}) must be at least js = ${p.js}: a cell of ${p.js} persons must be able to be published as 0`;
  if (!(p.V > 0) || p.V > p.D * p.D) return `the variance V must be greater than 0 and at most D² = ${p.D * p.D}`;
  return undefined;
}

export function buildPTable(params: PTableParams): PTable {
  const problem = ptableProblem(params);
  // The model's loader and the CLI refuse such parameters first (ptableProblem): reaching here is a defect.
  invariant(!problem, `p-table: ${problem}`);
  const { D, js } = params;
  const rows: PTableRow[] = [{ i: 0, targets: [{ j: 0, p: 1, lo: 0, hi: 1 }], variance: 0 }];
  for (let i = 1; i <= D + js + 1; i++) {
    const allowed: number[] = [];
    for (let j = Math.max(0, i - D); j <= i + D; j++) if (j === 0 || j > js) allowed.push(j);
    const v = allowed.map((j) => j - i);
    const { p, variance } = maxEntropy(v, params.V);
    let lo = 0;
    const targets = allowed.map((j, k) => {
      const hi = k === allowed.length - 1 ? 1 : lo + p[k];
      const t = { j, p: p[k], lo, hi };
      lo = hi;
      return t;
    }).filter((t) => t.p > 0);
    rows.push({ i, targets, variance });
  }
  return { params, rows };
}

/** The published value of a true count under a uniform key in [0,1). */
export function perturbCount(table: PTable, count: number, key: number): number {
  if (count <= 0) return 0;
  const last = table.rows.length - 1;
  const row = table.rows[Math.min(count, last)];
  const shift = count > last ? count - last : 0;
  for (const t of row.targets) if (key < t.hi) return t.j + shift;
  return row.targets[row.targets.length - 1].j + shift;
}

/**
 * Maximum-entropy unbiased distribution over the noises `v` with variance as close to `V` as they allow:
 * p(v) ∝ exp(a·v + b·v²), (a, b) found by Newton's method on the convex dual.
 */
function maxEntropy(v: readonly number[], V: number): { p: number[]; variance: number } {
  const neg = v.filter((x) => x < 0);
  const pos = v.filter((x) => x > 0);
  const hasZero = v.includes(0);
  if (!neg.length || !pos.length) {
    invariant(hasZero, 'p-table: no unbiased perturbation exists for these parameters');
    return { p: v.map((x) => (x === 0 ? 1 : 0)), variance: 0 };
  }
  const lo = Math.max(...neg);
  const hi = Math.min(...pos);
  const minVar = hasZero ? 0 : -lo * hi;
  const maxVar = -Math.min(...neg) * Math.max(...pos);
  const twoPoint = (a: number, b: number) => v.map((x) => (x === a ? b / (b - a) : x === b ? -a / (b - a) : 0));
  if (V <= minVar + 1e-9) return { p: hasZero ? v.map((x) => (x === 0 ? 1 : 0)) : twoPoint(lo, hi), variance: minVar };
  if (V >= maxVar - 1e-9) return { p: twoPoint(Math.min(...neg), Math.max(...pos)), variance: maxVar };

  let a = 0;
  let b = 0;
  const dist = (a: number, b: number) => {
    const e = v.map((x) => a * x + b * x * x);
    const m = Math.max(...e);
    const w = e.map((x) => Math.exp(x - m));
    const z = w.reduce((s, x) => s + x, 0);
    return { p: w.map((x) => x / z), logZ: m + Math.log(z) };
  };
  const dual = (a: number, b: number) => dist(a, b).logZ - b * V;
  for (let iter = 0; iter < 200; iter++) {
    const { p } = dist(a, b);
    const m1 = sum(p, (x) => x);
    const m2 = sum(p, (x) => x * x);
    const m3 = sum(p, (x) => x ** 3);
    const m4 = sum(p, (x) => x ** 4);
    const g = [m1, m2 - V];
    if (Math.abs(g[0]) < 1e-14 && Math.abs(g[1]) < 1e-12) break;
    const h11 = m2 - m1 * m1;
    const h12 = m3 - m1 * m2;
    const h22 = m4 - m2 * m2;
    const det = h11 * h22 - h12 * h12;
    let da = -(h22 * g[0] - h12 * g[1]) / det;
    let db = -(-h12 * g[0] + h11 * g[1]) / det;
    if (!Number.isFinite(da) || !Number.isFinite(db)) break;
    // Backtracking: the dual must decrease.
    const f0 = dual(a, b);
    let step = 1;
    while (step > 1e-12 && dual(a + step * da, b + step * db) > f0 + 1e-15) step /= 2;
    a += step * da;
    b += step * db;
  }
  const { p } = dist(a, b);
  return { p, variance: sum(p, (x) => x * x) };

  function sum(p: number[], f: (x: number) => number) {
    return p.reduce((s, pk, k) => s + pk * f(v[k]), 0);
  }
}

/** The table as text, one line per true count: published values with their probabilities and key intervals. */
export function formatPTable(table: PTable): string {
  const { D, V, js } = table.params;
  const lines = [`p-table: D = ${D}, V = ${V}, js = ${js} (mai pubblicati: ${js ? `1..${js}` : 'nessuno'}); l'ultima riga vale per ogni i ≥ ${table.rows.length - 1}`];
  lines.push('i\tj\tp\tchiave da\tchiave a');
  const last = table.rows[table.rows.length - 1];
  for (const r of table.rows) {
    for (const t of r.targets) {
      const v = t.j - r.i;
      const i = r === last ? `≥ ${r.i}` : String(r.i);
      const j = r === last ? (v ? `i ${v > 0 ? '+' : '-'} ${Math.abs(v)}` : 'i') : String(t.j);
      lines.push(`${i}\t${j}\t${t.p.toFixed(6)}\t${t.lo.toFixed(6)}\t${t.hi.toFixed(6)}`);
    }
    lines.push(`\tvarianza del rumore: ${r.variance.toFixed(4)}`);
  }
  return lines.join('\n');
}
