/** The cell key method as an algorithm: plan in -> hidden measures; rows in -> published rows (hand-computed fixtures). */
import t from 'tap';
import type { Disclosure } from '../server/model/types.ts';
import type { AggregatePlan } from '../server/plan/plan.ts';
import type { ResultRow } from '../server/plan/result.ts';
import { amountFactor, cellKeySecret, PERSONS, perturb, ptableFor, splitKey, withCellKeys } from '../server/security/disclosure.ts';
import { perturbCount } from '../server/security/ptable.ts';

const rule: Disclosure = { person: 'beneficiario_id', threshold: 3, noise: { max: 3, variance: 1.5 }, amountNoise: 0.5, records: ['anno'], exact: ['comuni'] };
const col = (column: string) => ({ kind: 'column' as const, column });
const where = { kind: 'in' as const, expr: col('presa_in_carico'), values: [1], type: 'Int64' as const, negate: false };
const plan: AggregatePlan = {
  kind: 'aggregate',
  cube: 'prestazioni',
  table: 'prestazioni',
  dimensions: [],
  measures: [
    { name: 'beneficiari', aggregate: 'uniqExact', arg: col('beneficiario_id') },
    { name: 'prestazioni', aggregate: 'count' },
    { name: 'importo', aggregate: 'sum', arg: col('importo') },
    { name: 'importo_pic', aggregate: 'sum', arg: col('importo'), where },
    { name: 'beneficiari_pic', aggregate: 'uniqExact', arg: col('beneficiario_id'), where },
    { name: 'comuni', aggregate: 'uniqExact', arg: col('comune') },
  ],
  ratios: [{ name: 'medio', numerator: 'importo', denominator: 'beneficiari' }, { name: 'quota_pic', numerator: 'beneficiari_pic', denominator: 'beneficiari' }],
  where: [],
  groupingSets: null,
  order: [],
};
const secret = cellKeySecret('a secret of at least thirty-two characters');

t.test('the secret becomes two 64-bit halves, stable and different for different secrets', async (t) => {
  t.same(cellKeySecret('a secret of at least thirty-two characters'), secret);
  t.notSame(cellKeySecret('another secret of at least thirty-two chars'), secret);
  for (const half of secret) t.ok(BigInt(half) < 2n ** 64n);
});

t.test('withCellKeys adds one key per perturbed measure, over its own units and subset', async (t) => {
  const withKeys = withCellKeys(plan, rule, secret);
  const by = new Map(withKeys.measures.map((m) => [m.name, m]));
  t.same(by.get(PERSONS), { name: PERSONS, aggregate: 'uniqExact', arg: col('beneficiario_id') });
  t.same(by.get('__chiave___persone')!.key, { secret, units: [col('beneficiario_id')], distinct: true });
  t.same(by.get('__chiave_beneficiari_pic')!.where, where, 'a sub-count keys its own subset of persons');
  t.same(by.get('__chiave_prestazioni')!.key, { secret, units: [col('beneficiario_id'), col('anno')], distinct: false }, 'records: person + record columns, every record');
  t.same(by.get('__chiave_importo')!.key, { secret, units: [col('beneficiario_id'), col('anno')], distinct: false }, 'an amount is keyed by its records');
  t.same(by.get('__massimo_importo_pic'), { name: '__massimo_importo_pic', aggregate: 'topContribution', arg: col('importo'), by: col('beneficiario_id'), where });
  t.ok(by.has('__persone_importo_pic'), 'an amount over a subset knows how many persons it has');
  t.same(by.get('__chiave___persone_importo_pic')!.key, by.get('__chiave_beneficiari_pic')!.key, 'and their key, the same as the sub-count of those persons');
  t.notOk(by.has('__chiave_comuni'), 'a count declared exact gets no key');
  t.equal(withCellKeys(withKeys, rule, secret), withKeys, 'idempotent');
});

// Keys chosen so the published values are known: the high 32 bits give the count key, the low 32 the amount key.
const keyOf = (countKey: number, amountKey = 0.75) => ((BigInt(Math.floor(countKey * 2 ** 32)) << 32n) | BigInt(Math.floor(amountKey * 2 ** 32))).toString();
const table = ptableFor(rule);

function row(n: number, k: number, extra: Partial<ResultRow> = {}): ResultRow {
  return {
    comune: 'A',
    beneficiari: n,
    prestazioni: 2 * n,
    importo: 100 * n,
    importo_pic: 50,
    beneficiari_pic: 1,
    comuni: 1,
    medio: 999,
    quota_pic: 999,
    [PERSONS]: n,
    __chiave___persone: keyOf(k),
    __chiave_beneficiari: keyOf(k),
    __chiave_prestazioni: keyOf(0.5),
    __chiave_importo: keyOf(k, 0.75),
    __massimo_importo: 180,
    __chiave_importo_pic: keyOf(0.1, 0.2),
    __massimo_importo_pic: 50,
    __persone_importo_pic: 1,
    __chiave___persone_importo_pic: keyOf(0.1),
    __chiave_beneficiari_pic: keyOf(0.1),
    ...extra,
  };
}

t.test('a cell whose persons are published as 0 is left out, like a cell without data', async (t) => {
  // A 1 is published as 0 for keys below 2/3.
  const out = perturb([row(1, 0.2), row(10, 0.5)], plan, rule);
  t.equal(out.length, 1);
  t.equal(out[0].beneficiari, perturbCount(table, 10, 0.5));
});

t.test('counts, amounts and ratios of a published cell', async (t) => {
  const [r] = perturb([row(10, 0.95)], plan, rule);
  const last = table.rows[table.rows.length - 1];
  const expected = 10 + last.targets.find((x) => 0.95 >= x.lo && 0.95 < x.hi)!.j - last.i;
  t.equal(r.beneficiari, expected, 'persons through the p-table');
  t.equal(r.prestazioni, perturbCount(table, 20, 0.5), 'records with their own key');
  // importo 1000, largest contribution 180, amount key 0.75 -> factor 0.75 -> +0.5 * 0.75 * 180 = 67.5
  t.equal(r.importo, 1067.5);
  t.equal(r.medio, 1067.5 / expected, 'ratios from published parts');
  // The subset has 1 person, its key 0.1 publishes it as 0: its amount is 0, its share 0.
  t.equal(r.beneficiari_pic, 0);
  t.equal(r.importo_pic, 0);
  t.equal(r.quota_pic, 0);
  t.equal(r.comuni, 1, 'exact count untouched');
  t.notOk(Object.keys(r).some((k) => k.startsWith('__')), 'no hidden measure leaves the server');
});

t.test('amount noise: symmetric, between half and all of the amount scale, never zero', async (t) => {
  t.equal(amountFactor(0), -0.5);
  t.equal(amountFactor(0.5), 0.5);
  t.ok(amountFactor(0.4999999) < -0.99);
  let sum = 0;
  let outside = 0;
  const N = 10_000;
  for (let i = 0; i < N; i++) {
    const f = amountFactor((i + 0.5) / N);
    if (!(Math.abs(f) >= 0.5 && Math.abs(f) < 1)) outside++;
    sum += f;
  }
  t.equal(outside, 0, '|factor| in [0.5, 1)');
  t.ok(Math.abs(sum / N) < 1e-3, 'mean 0');
});

t.test('splitKey reads the high and low 32 bits', async (t) => {
  t.same(splitKey(keyOf(0.25, 0.5)), { count: 0.25, amount: 0.5 });
  t.same(splitKey((2n ** 64n - 1n).toString()), { count: (2 ** 32 - 1) / 2 ** 32, amount: (2 ** 32 - 1) / 2 ** 32 });
});

t.test('the compiler binds the secret as parameters: never in the SQL text', async (t) => {
  const { compileAggregate } = await import('../server/query/compile.ts');
  const keyed = withCellKeys(plan, rule, secret);
  t.same(keyed.person, { kind: 'column', column: 'beneficiario_id' }, 'the plan names its person');
  // The per-person form (the one the server runs): each person's rows in a cell first, then the cell.
  const { sql, params } = compileAggregate(keyed, (n) => `pas.${n}`);
  t.notOk(sql.includes(secret[0]) || sql.includes(secret[1]), 'no secret in the SQL');
  t.match(sql, /toString\(ifNull\(sumWithOverflow\(sipHash64Keyed\(\(\{p\d+:UInt64\}, \{p\d+:UInt64\}\), `__persona`\)\), 0\)\) AS `m___chiave___persone`/);
  t.match(sql, /sumWithOverflowIf\(sipHash64Keyed\(\(\{p\d+:UInt64\}, \{p\d+:UInt64\}\), cityHash64\(`beneficiario_id`, `anno`\)\), `presa_in_carico` IN \{p\d+:Array\(Int64\)\}\) AS `__i\d+`/);
  t.match(sql, /toFloat64\(max\(`__i\d+`\)\) AS `m___massimo_importo`/);
  t.ok(Object.values(params).includes(secret[0]) && Object.values(params).includes(secret[1]), 'the secret travels as parameters');
  // The one-level form (a plan without a person).
  const one = compileAggregate({ ...keyed, person: undefined }, (n) => `pas.${n}`);
  t.notOk(one.sql.includes(secret[0]) || one.sql.includes(secret[1]), 'no secret in the one-level SQL');
  t.match(one.sql, /toString\(sumWithOverflowDistinct\(sipHash64Keyed\(\(\{p\d+:UInt64\}, \{p\d+:UInt64\}\), `beneficiario_id`\)\)\) AS `m___chiave___persone`/);
  t.match(one.sql, /arrayMax\(mapValues\(sumMap\(map\(`beneficiario_id`, toFloat64\(`importo`\)\)\)\)\) AS `m___massimo_importo`/);
  t.ok(Object.values(one.params).includes(secret[0]), 'the secret travels as parameters');
});
