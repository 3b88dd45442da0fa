/**
 * Disclosure control ("Non individuabilità soggetto beneficiario").
 *
 * Primary suppression: a cell (a result row) built from fewer distinct persons
 * than the cube's threshold hides every measure.
 *
 * Secondary suppression: within one response, a suppressed cell must not be
 * recoverable by subtracting the visible cells of its group from the group's
 * (sub)total. A group is the set of rows that differ only in one dimension,
 * together with the row that rolls that dimension up. Whenever a group whose
 * total is visible has exactly one suppressed cell, the visible cell with the
 * fewest persons is suppressed too; this repeats until no group changes
 * (the "simple heuristic" of tau-Argus / sdcTable). Known limits: see
 * docs/disclosure.md.
 */
import type { Cube, Disclosure } from '../model/types.ts';
import type { AggregatePlan } from '../plan/plan.ts';
import type { ResultRow } from '../plan/result.ts';

export const PERSONS = '__persone';

/** Adds the hidden distinct-person count the protection needs to the plan. */
export function withPersonCount(plan: AggregatePlan, cube: Cube): AggregatePlan {
  if (!cube.disclosure || plan.measures.some((m) => m.name === PERSONS)) return plan;
  return { ...plan, measures: [...plan.measures, { name: PERSONS, aggregate: 'uniqExact', arg: { kind: 'column', column: cube.disclosure.person } }] };
}

export interface SuppressionReport {
  threshold: number;
  primary: number;
  secondary: number;
}

/**
 * Suppresses in place: measure cells become null and the row gets
 * `suppressed: 'primary' | 'secondary'`. Removes the person count.
 */
export function protect(rows: ResultRow[], dimensions: readonly string[], measures: readonly string[], rule: Disclosure): SuppressionReport {
  const persons = (r: ResultRow) => Number(r[PERSONS] ?? 0);
  const state = new Map<ResultRow, 'primary' | 'secondary'>();
  for (const r of rows) if (persons(r) < rule.threshold) state.set(r, 'primary');

  // Group rows by (parent cell, dimension rolled up by the parent).
  const keyOf = (r: ResultRow, without?: string) => {
    const rolled = new Set(r.rollup ?? []);
    return JSON.stringify(dimensions.map((d) => (d === without || rolled.has(d) ? '*' : r[d])));
  };
  const byKey = new Map(rows.map((r) => [keyOf(r), r]));
  const groups: { parent: ResultRow; children: ResultRow[] }[] = [];
  const index = new Map<string, { parent: ResultRow; children: ResultRow[] }>();
  for (const r of rows) {
    const rolled = new Set(r.rollup ?? []);
    for (const d of dimensions) {
      if (rolled.has(d)) continue;
      const parentKey = keyOf(r, d);
      const parent = byKey.get(parentKey);
      if (!parent) continue;
      const id = `${d}|${parentKey}`;
      let g = index.get(id);
      if (!g) index.set(id, (g = { parent, children: [] })), groups.push(g);
      g.children.push(r);
    }
  }

  let changed = true;
  while (changed) {
    changed = false;
    for (const g of groups) {
      if (state.has(g.parent)) continue;
      const hidden = g.children.filter((c) => state.has(c));
      if (hidden.length !== 1) continue;
      const candidates = g.children.filter((c) => !state.has(c));
      if (candidates.length === 0) {
        // The only cell of the group: hiding the total is the only way to protect it.
        state.set(g.parent, 'secondary');
        changed = true;
        continue;
      }
      const next = candidates.reduce((a, b) => (persons(b) < persons(a) ? b : a));
      state.set(next, 'secondary');
      changed = true;
    }
  }

  const report: SuppressionReport = { threshold: rule.threshold, primary: 0, secondary: 0 };
  for (const r of rows) {
    const s = state.get(r);
    if (s) {
      for (const m of measures) r[m] = null;
      r.suppressed = s;
      report[s]++;
    }
    delete r[PERSONS];
  }
  return report;
}
