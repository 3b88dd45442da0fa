/**
 * Estimated resident population by comune x single year of age (0..100, 100 =
 * 100 and over) x gender, from each comune's census total: ISTAT publishes
 * these counts, but not in the package we ship, so they are ESTIMATED from
 * Italy's age pyramid, tilted per region towards its mean age. Each comune's
 * cells add up exactly to its census total.
 */
import type { Engine } from '../engine/client.ts';

/**
 * Italy's age pyramid (residents at 1 January 2020, ISTAT, rounded): share of
 * residents, in percent, per 5-year group from 0-4 to 95-99, then 100+.
 */
const PYRAMID_5Y = [3.9, 4.5, 4.8, 4.8, 5.0, 5.3, 5.6, 6.2, 7.3, 8.0, 8.1, 7.5, 6.5, 5.9, 5.4, 4.4, 3.7, 2.3, 1.0, 0.25, 0.02];

/** Share of men at a given age: a few more boys at birth, ever more women among the old. */
export function maleShare(age: number): number {
  return age < 40 ? 0.513 : age < 65 ? 0.49 : age < 80 ? 0.47 : age < 90 ? 0.39 : 0.27;
}

/**
 * Mean age of the residents by region (ISTAT indicatori demografici, about
 * 2020, rounded; approximate): Liguria is the oldest region, Campania and
 * Bolzano the youngest. Used only to tilt the national pyramid.
 */
export const MEAN_AGE: Readonly<Record<string, number>> = {
  '01': 46.9, '02': 46.0, '03': 45.2, '05': 45.5, '06': 47.4, '07': 48.7, '08': 45.9, '09': 46.8, '10': 46.7, '11': 46.3,
  '12': 45.0, '13': 46.0, '14': 46.8, '15': 42.5, '16': 44.6, '17': 45.8, '18': 44.4, '19': 44.1, '20': 47.0, '21': 42.5, '22': 44.6,
};
const ITALY_MEAN_AGE = 45.7;

/** Share of residents at each age 0..100 for Italy, or tilted so that the mean age moves by `shift` years. */
export function ageShares(shift = 0): number[] {
  const base: number[] = [];
  for (let age = 0; age <= 100; age++) base.push(age === 100 ? PYRAMID_5Y[20] : PYRAMID_5Y[Math.floor(age / 5)] / 5);
  const tilt = (beta: number) => {
    const w = base.map((x, age) => x * Math.exp((beta * (age - 45)) / 30));
    const total = w.reduce((a, b) => a + b, 0);
    return w.map((x) => x / total);
  };
  const mean = (s: number[]) => s.reduce((acc, x, age) => acc + x * (age + 0.5), 0);
  if (shift === 0) return tilt(0);
  const goal = mean(tilt(0)) + shift;
  let lo = -2;
  let hi = 2;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (mean(tilt(mid)) < goal) lo = mid;
    else hi = mid;
  }
  return tilt((lo + hi) / 2);
}

/** Cumulative share of the population over the cells (eta 0..100) x (genere 1, 2), in that order: 202 values ending at 1. */
export function cumulativeCellShares(shift = 0): number[] {
  const shares = ageShares(shift);
  const out: number[] = [];
  let acc = 0;
  for (let age = 0; age <= 100; age++) {
    acc += shares[age] * maleShare(age);
    out.push(acc);
    acc += shares[age] * (1 - maleShare(age));
    out.push(acc);
  }
  out[out.length - 1] = 1;
  return out;
}

/**
 * Fills `popolazione` from `territorio` in one INSERT … SELECT. Each cell is
 * the difference of the rounded cumulative counts, so the cells of a comune
 * add up exactly to its census total.
 */
export async function loadPopulation(engine: Engine): Promise<number> {
  const regions = Object.keys(MEAN_AGE).sort();
  // One flat array of 202 cumulative shares per pyramid: Italy's first, then one per region.
  const shares = [cumulativeCellShares(), ...regions.map((r) => cumulativeCellShares(MEAN_AGE[r] - ITALY_MEAN_AGE))].flat();
  await engine.command(
    `INSERT INTO ${engine.table('popolazione')} (comune, ats, regione, popolazione_comune, eta, genere, residenti)
     SELECT comune, ats, regione, popolazione_comune, toUInt8(intDiv(cell, 2)) AS eta, toUInt8(cell % 2 + 1) AS genere,
            toUInt32(round(popolazione_comune * {shares:Array(Float64)}[base + cell + 1])
                     - if(cell = 0, 0, round(popolazione_comune * {shares:Array(Float64)}[base + cell]))) AS residenti
     FROM (SELECT *, indexOf({regions:Array(String)}, regione) * 202 AS base FROM ${engine.table('territorio')})
     ARRAY JOIN range(202) AS cell`,
    { regions, shares },
  );
  const [{ n }] = await engine.query<{ n: number }>(`SELECT count() AS n FROM ${engine.table('popolazione')}`);
  return Number(n);
}
