/**
 * Disclosure control ("Non individuabilità soggetto beneficiario") by the cell
 * key method, as ABS TableBuilder and the ONS do for ad-hoc tables.
 *
 * Every person (and every record) has a secret, stable key: a keyed SipHash of
 * its id with the installation's secret. The engine adds up, in the same query
 * as the figures, the keys of the distinct units of each cell, mod 2^64: the
 * cell key. The p-table (./ptable.ts) maps (true count, cell key) to the
 * published count; amounts move by a share of the largest contribution of one
 * person in the cell, in a direction and size taken from the same key. The
 * same set of units always gives the same figure, on every path and every
 * repeat; totals and subtotals are cells of their own. Method, parameters and
 * limits: docs/riservatezza.md.
 *
 * This module is the algorithm only (rule + plan + rows in, rows out); who is
 * exempt is decided by the caller.
 */
import { createHash } from 'node:crypto';
import type { Disclosure } from '../model/types.ts';
import type { AggregatePlan, ExprNode, PlanMeasure } from '../plan/plan.ts';
import type { PerturbationInfo, ResultRow } from '../plan/result.ts';
import { buildPTable, perturbCount, type PTable } from './ptable.ts';

/** Hidden measures: never part of an answer. */
export const PERSONS = '__persone';
const KEY = (measure: string) => `__chiave_${measure}`;
const TOP = (measure: string) => `__massimo_${measure}`;
const SUBSET = (measure: string) => `__persone_${measure}`;
const isHidden = (name: string) => name.startsWith('__');

/** The two 64-bit halves of the SipHash key, derived from the installation's secret. */
export function cellKeySecret(secret: string): readonly [string, string] {
  const digest = createHash('sha256').update('pas-cubes cell key\0').update(secret).digest();
  return [digest.readBigUInt64BE(0).toString(), digest.readBigUInt64BE(8).toString()];
}

export function perturbationInfo(rule: Disclosure): PerturbationInfo {
  return { method: 'cell_key', threshold: rule.threshold, maxNoise: rule.noise.max, variance: rule.noise.variance, amountNoise: rule.amountNoise };
}

/** Whether a base measure of this kind is perturbed under the rule (counts not declared exact, and amounts). */
export function isPerturbed(rule: Disclosure, measure: { name: string; kind: string }): boolean {
  if (measure.kind === 'sum') return true;
  return (measure.kind === 'count' || measure.kind === 'count_distinct') && !rule.exact.includes(measure.name);
}

/**
 * Adds to the plan the hidden measures perturbation needs, computed by the engine with the figures:
 * the persons of each cell and their key; per perturbed count the key of its own units (distinct
 * values for a distinct count, records for a count); per amount the key of its records, the person
 * count of its own subset and the largest contribution of one person.
 */
export function withCellKeys(plan: AggregatePlan, rule: Disclosure, secret: readonly [string, string]): AggregatePlan {
  if (plan.measures.some((m) => m.name === PERSONS)) return plan;
  const person: ExprNode = { kind: 'column', column: rule.person };
  const key = (name: string, units: ExprNode[], distinct: boolean, where: PlanMeasure['where']): PlanMeasure => ({ name: KEY(name), aggregate: 'cellKey', key: { secret, units, distinct }, where });
  const hidden: PlanMeasure[] = [{ name: PERSONS, aggregate: 'uniqExact', arg: person }, key(PERSONS, [person], true, undefined)];
  const record = [person, ...rule.records.map((column): ExprNode => ({ kind: 'column', column }))];
  for (const m of plan.measures) {
    if (m.aggregate === 'uniqExact' && !rule.exact.includes(m.name)) hidden.push(key(m.name, [m.arg!], true, m.where));
    else if (m.aggregate === 'count' && !rule.exact.includes(m.name)) hidden.push(key(m.name, record, false, m.where));
    else if (m.aggregate === 'sum') {
      // An amount changes with its records even where its persons stay the same: it is keyed by its records.
      hidden.push(key(m.name, record, false, m.where), { name: TOP(m.name), aggregate: 'topContribution', arg: m.arg, by: person, where: m.where });
      if (m.where) hidden.push({ name: SUBSET(m.name), aggregate: 'uniqExact', arg: person, where: m.where }, key(SUBSET(m.name), [person], true, m.where));
    }
  }
  return { ...plan, measures: [...plan.measures, ...hidden], person };
}

const tables = new Map<string, PTable>();
export function ptableFor(rule: Disclosure): PTable {
  const params = { D: rule.noise.max, V: rule.noise.variance, js: rule.threshold - 1 };
  const id = JSON.stringify(params);
  let table = tables.get(id);
  if (!table) tables.set(id, (table = buildPTable(params)));
  return table;
}

/** The two uniform numbers in [0,1) a cell key gives: its high 32 bits for counts, its low 32 bits for amounts. */
export function splitKey(key: string): { count: number; amount: number } {
  const k = BigInt(key);
  return { count: Number(k >> 32n) / 2 ** 32, amount: Number(k & 0xffffffffn) / 2 ** 32 };
}

/** Amount noise factor in ±[0.5, 1): never 0, so no amount is published exactly; symmetric, so unbiased. */
export function amountFactor(u: number): number {
  return u < 0.5 ? -(0.5 + u) : u;
}

/**
 * Publishes the rows of a protected answer: counts through the p-table, amounts with magnitude
 * noise, in-plan ratios recomputed from the published parts. A cell whose persons are published as
 * 0 is left out, exactly as a cell without data is. Hidden measures are removed.
 */
export function perturb(rows: readonly ResultRow[], plan: AggregatePlan, rule: Disclosure): ResultRow[] {
  const table = ptableFor(rule);
  // What to do with each measure, worked out once per plan (names of its hidden measures included), not once per row.
  const counts = plan.measures.filter((m) => !isHidden(m.name) && (m.aggregate === 'uniqExact' || m.aggregate === 'count') && !rule.exact.includes(m.name)).map((m) => ({ name: m.name, key: KEY(m.name) }));
  const amounts = plan.measures.filter((m) => !isHidden(m.name) && m.aggregate === 'sum').map((m) => ({ name: m.name, key: KEY(m.name), top: TOP(m.name), subset: m.where ? { persons: SUBSET(m.name), key: KEY(SUBSET(m.name)) } : undefined }));
  const personsKey = KEY(PERSONS);
  const count = (row: ResultRow, n: string, key: string) => perturbCount(table, Number(row[n] ?? 0), splitKey(String(row[key])).count);
  const out: ResultRow[] = [];
  for (const row of rows) {
    if (count(row, PERSONS, personsKey) === 0) continue;
    // The published row: every field but the hidden measures (built anew rather than deleting from the engine's row, which is slower).
    const published: ResultRow = {};
    for (const name in row) if (!isHidden(name)) published[name] = row[name];
    for (const m of counts) if (row[m.name] !== null && row[m.name] !== undefined) published[m.name] = count(row, m.name, m.key);
    for (const m of amounts) {
      if (row[m.name] === null || row[m.name] === undefined) continue;
      // An amount over a subset of the cell (a measure with `where`) is 0 when its persons are published as 0, as for no persons.
      if (m.subset && count(row, m.subset.persons, m.subset.key) === 0) published[m.name] = 0;
      else {
        const noise = rule.amountNoise * amountFactor(splitKey(String(row[m.key])).amount) * Number(row[m.top] ?? 0);
        published[m.name] = Math.round(((row[m.name] as number) + noise) * 100) / 100;
      }
    }
    for (const r of plan.ratios) {
      const num = published[r.numerator] as number | null;
      const den = published[r.denominator] as number | null;
      published[r.name] = num === null || !den ? null : num / den;
    }
    out.push(published);
  }
  return out;
}
