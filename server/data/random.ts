/** A small seeded PRNG (mulberry32): the demo data must be the same on every machine for the same seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/*
 * Random draws inside ClickHouse SQL: a draw is a hash of the seed (bound as
 * the query parameter {seed:UInt64}), the SQL expressions that identify the
 * drawn thing (a person, a person-year, a benefit) and a salt that names the
 * draw, so that results do not depend on threads, block sizes or row order.
 */

/** SQL for a uniform draw in [0, 1) (53 bits of the hash, so never 1). */
export function uniformSql(salt: string, ...keys: string[]): string {
  return `(bitShiftRight(cityHash64({seed:UInt64}, ${[...keys, `'${salt}'`].join(', ')}), 11) / 9007199254740992.)`;
}

/** SQL for an (approximately) standard normal draw: the sum of four uniforms, centred and scaled (Irwin-Hall). */
export function normalSql(salt: string, ...keys: string[]): string {
  const parts = [1, 2, 3, 4].map((i) => uniformSql(`${salt}${i}`, ...keys));
  return `((${parts.join(' + ')} - 2) * 1.7320508075688772)`;
}

/** SQL picking a 1-based index from a cumulative distribution (an SQL array expression) with the uniform draw `u`. */
export function pickSql(cumulative: string, u: string): string {
  return `arrayFirstIndex(x -> x > ${u}, ${cumulative})`;
}

/** Cumulative sums of weights normalised to end at exactly 1. */
export function cumulative(weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new Error('cumulative: weights must have a positive sum');
  let acc = 0;
  const out = weights.map((w) => (acc += w / total));
  // The last positive weight closes the distribution, so a draw never falls past it.
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = 1;
    if (weights[i] > 0) break;
  }
  return out;
}
