/**
 * Property-style check of the gate (issue #12): for random valid queries of
 * each profile (every dimension but the caller-relative sede_ente, filters,
 * benchmarks, totals, orders; seeded), every figure returned equals the
 * Nazionale figure restricted to the caller's scope, or is a benchmark cell
 * of a declared safe breakdown gathering at least k comuni outside the
 * caller's territory. Plus the k rule on its own, with the cluster proxy
 * declared safe on purpose.
 *
 * The expected value of a cell is computed in one place, `expectedRows`
 * (Nazionale, exempt from disclosure control here, with the scope as a
 * filter), and compared in one place, `sameFigure`: when published figures
 * carry noise (cell key method), adapt those two.
 */
import t from 'tap';
import type { Cube } from '../server/model/types.ts';
import { createQueryContext } from '../server/context.ts';
import { runQuery } from '../server/query/execute.ts';
import { QuerySpecSchema } from '../server/plan/spec.ts';
import { demoApp, TEST_CELL_KEY_SECRET } from './helpers/app.ts';

// Nazionale is protected like every profile: the same cell (the same persons) publishes the same figure
// whoever asks, so a scoped answer must equal Nazionale's on the same cells, number for number.
const demo = await demoApp(60_000, 5);
t.teardown(demo.dispose);
const { app, engine, model } = demo;
const P = engine.table('prestazioni');
type Row = Record<string, unknown>;
type Profile = 'regionale' | 'ats' | 'comunale' | 'ente';
type Filter = { dimension: string; op: 'eq' | 'in' | 'not_in'; value?: unknown; values?: unknown[] };
type Spec = { measures: string[]; rows: string[]; columns: string[]; filters: Filter[]; totals: boolean; subtotals: boolean; benchmark?: 'ats' | 'regione' | 'italia'; order: { by: string; direction: 'asc' | 'desc' }[]; limit: number };

const [{ regione }] = await engine.query<{ regione: string }>(`SELECT regione FROM ${P} GROUP BY regione ORDER BY count() DESC LIMIT 1`);
const [{ ats }] = await engine.query<{ ats: string }>(`SELECT ats FROM ${P} WHERE regione = {regione:String} GROUP BY ats ORDER BY uniqExact(comune) DESC, ats LIMIT 1`, { regione });
const [{ comune }] = await engine.query<{ comune: string }>(`SELECT comune FROM ${P} WHERE ats = {ats:String} GROUP BY comune ORDER BY count() DESC LIMIT 1`, { ats });
const ente = `C${comune}`;
const scopes: Record<Profile, string> = { regionale: regione, ats, comunale: comune, ente };
/** The scope as a Nazionale filter, and the territory above it at each benchmark level. */
const own: Record<Profile, Filter> = {
  regionale: { dimension: 'regione', op: 'eq', value: regione },
  ats: { dimension: 'ats', op: 'eq', value: ats },
  comunale: { dimension: 'comune', op: 'eq', value: comune },
  ente: { dimension: 'ente_erogatore', op: 'eq', value: ente },
};
const ancestor: Record<string, Filter | undefined> = { ats: { dimension: 'ats', op: 'eq', value: ats }, regione: { dimension: 'regione', op: 'eq', value: regione }, italia: undefined };
const levelsAbove: Record<Profile, ('ats' | 'regione' | 'italia')[]> = { regionale: ['italia'], ats: ['regione', 'italia'], comunale: ['ats', 'regione', 'italia'], ente: [] };

const headers = {
  nazionale: await demo.as({ profile: 'nazionale' }),
  regionale: await demo.as({ profile: 'regionale', scope: regione }),
  ats: await demo.as({ profile: 'ats', scope: ats }),
  comunale: await demo.as({ profile: 'comunale', scope: comune }),
  ente: await demo.as({ profile: 'ente', scope: ente }),
};
const exactContext = await createQueryContext(engine, model, { nationalExemptFromDisclosure: true, cellKeySecret: TEST_CELL_KEY_SECRET });
const ask = (who: keyof typeof headers, cube: string, spec: Spec) => app.inject({ method: 'POST', url: `/v1/cubes/${cube}/query`, headers: headers[who], payload: spec });

// Seeded PRNG (mulberry32): the same 200 queries on every run.
let seed = 12;
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
const some = <T>(xs: readonly T[], max: number): T[] => [...xs].sort(() => random() - 0.5).slice(0, Math.floor(random() * (max + 1)));

/** Member keys a caller may pick for a filter: what its own member list offers. */
const memberCache = new Map<string, (string | number)[]>();
async function members(who: Profile, cube: string, dim: string): Promise<(string | number)[]> {
  const k = `${who}|${cube}|${dim}`;
  if (!memberCache.has(k)) {
    const res = await app.inject({ method: 'GET', url: `/v1/cubes/${cube}/dimensions/${dim}/members?limit=300`, headers: headers[who] });
    memberCache.set(k, res.statusCode === 200 ? res.json().members.map((m: Row) => m.key) : []);
  }
  return memberCache.get(k)!;
}

async function randomSpec(who: Profile, cube: Cube): Promise<Spec> {
  const benchmark = levelsAbove[who].length && cube.access.benchmark && random() < 0.4 ? pick(levelsAbove[who]) : undefined;
  const all = [...cube.dimensions.keys()].filter((d) => d !== 'sede_ente'); // relative to the caller: Nazionale cannot reproduce it
  // Benchmarks mostly use the declared safe dimensions (answered), sometimes any (refused), one dimension at most.
  const dims = benchmark ? (random() < 0.6 ? some(cube.access.benchmark!.dimensions, 1) : [pick(all)]) : some(all, 2);
  const measures = [...cube.measures.values()].filter((m) => who !== 'ente' || m.kind !== 'ratio' || !m.denominator.cube).map((m) => m.name);
  const filters: Filter[] = [];
  for (const dimension of some(benchmark ? cube.access.benchmark!.dimensions : all, 2)) {
    const keys = await members(who, cube.name, dimension);
    if (!keys.length) continue;
    const op = pick(['eq', 'in', 'not_in'] as const);
    filters.push(op === 'eq' ? { dimension, op, value: pick(keys) } : { dimension, op, values: some(keys, 3).concat(pick(keys)) });
  }
  const columns = dims.length > 1 && random() < 0.4 ? [dims[dims.length - 1]] : [];
  const chosen = some(measures, 3).concat(pick(measures));
  return {
    measures: [...new Set(chosen)],
    rows: dims.filter((d) => !columns.includes(d)),
    columns,
    filters,
    totals: random() < 0.4,
    subtotals: random() < 0.2,
    ...(benchmark ? { benchmark } : {}),
    order: random() < 0.5 ? [{ by: pick([...dims, ...chosen]), direction: pick(['asc', 'desc'] as const) }] : [],
    limit: 100_000,
  };
}

const keyOf = (r: Row, dims: readonly string[]) => JSON.stringify(dims.map((d) => (r.rollup as string[] | undefined)?.includes(d) ? '*' : r[d]));

/** THE expected answer: Nazionale (protected by the same cell keys) on the same query, restricted to what the caller reads. */
async function expectedRows(who: Profile, cube: string, spec: Spec): Promise<Row[]> {
  const { benchmark, ...rest } = spec;
  const scope = benchmark ? ancestor[benchmark] : own[who];
  const res = await ask('nazionale', cube, { ...rest, filters: [...(scope ? [scope] : []), ...spec.filters] });
  if (res.statusCode !== 200) throw new Error(`Nazionale ${res.statusCode} ${res.body}`);
  return res.json().rows;
}

/** THE comparison of a published figure with the expected one (exact today; amounts to the cent). */
function sameFigure(got: unknown, want: unknown): boolean {
  if (got === null || want === null || got === undefined || want === undefined) return got === want || (got === null && want === undefined);
  return Math.abs(Number(got) - Number(want)) <= Math.max(0.011, Math.abs(Number(want)) * 1e-9);
}

/** Comuni outside the caller's territory in each benchmark cell, counted from Nazionale's breakdown by comune. */
async function unitsPerCell(who: Profile, cube: string, spec: Spec, rows: Row[]): Promise<Map<string, number>> {
  const dims = [...spec.rows, ...spec.columns];
  const outside: Filter = { ...own[who], op: 'not_in', values: [own[who].value], value: undefined };
  delete outside.value;
  const scope = ancestor[spec.benchmark!];
  // Counted on exact figures (a comune of 1-3 persons may be published as 0 and left out of a protected answer).
  const exact = await runQuery(exactContext, cube, QuerySpecSchema.parse({ ...spec, benchmark: undefined, rows: [...dims, 'comune'], columns: [], totals: false, subtotals: false, order: [], filters: [...(scope ? [scope] : []), outside, ...spec.filters] }), { id: 'test', profile: 'nazionale' });
  const detail = exact.rows as Row[];
  const out = new Map<string, number>();
  for (const r of rows) {
    const rolled = new Set((r.rollup as string[] | undefined) ?? []);
    const matching = detail.filter((d) => dims.every((x) => rolled.has(x) || d[x] === r[x]));
    out.set(keyOf(r, dims), new Set(matching.map((d) => d.comune)).size);
  }
  return out;
}

t.test('random queries of every profile: each figure is the Nazionale figure of the caller\'s scope, or a benchmark cell of >= k comuni', async (t) => {
  const tally = { answered: 0, refused: 0, cells: 0, benchmarkCells: 0, suppressed: 0 };
  const failures: string[] = [];
  const profiles: Profile[] = ['regionale', 'ats', 'comunale', 'ente'];
  for (let i = 0; i < 200; i++) {
    const who = profiles[i % profiles.length];
    const cubes = [...model.cubes.values()].filter((c) => c.access.profiles.includes(who) && c.disclosure);
    const cube = pick(cubes);
    const spec = await randomSpec(who, cube);
    const res = await ask(who, cube.name, spec);
    const label = `${who} ${cube.name} ${JSON.stringify(spec)}`;
    if (res.statusCode !== 200) {
      if (![400, 403].includes(res.statusCode)) failures.push(`${label}: ${res.statusCode} ${res.body}`);
      tally.refused++;
      continue;
    }
    tally.answered++;
    const rows = res.json().rows as Row[];
    const dims = [...spec.rows, ...spec.columns];
    const expected = new Map((await expectedRows(who, cube.name, spec)).map((r) => [keyOf(r, dims), r]));
    const units = spec.benchmark ? await unitsPerCell(who, cube.name, spec, rows) : undefined;
    for (const r of rows) {
      if (r.suppressed) {
        tally.suppressed++;
        if (!spec.measures.every((m) => r[m] === null)) failures.push(`${label}: suppressed cell ${JSON.stringify(r)} shows a figure`);
        continue;
      }
      const want = expected.get(keyOf(r, dims));
      const bad = !want ? ['(no such cell in scope)'] : spec.measures.filter((m) => !sameFigure(r[m], want[m]));
      if (bad.length) failures.push(`${label}: cell ${keyOf(r, dims)} ${bad.join(', ')}: got ${JSON.stringify(r)}, Nazionale in scope ${JSON.stringify(want)}`);
      tally.cells++;
      if (units) {
        tally.benchmarkCells++;
        const n = units.get(keyOf(r, dims))!;
        if (n < cube.access.benchmark!.minUnits) failures.push(`${label}: benchmark cell ${keyOf(r, dims)} gathers ${n} comuni outside the caller's territory`);
      }
    }
  }
  t.comment(JSON.stringify(tally));
  t.same(failures, [], 'no figure outside the rule');
  t.ok(tally.answered >= 120 && tally.refused >= 8, `both answers (${tally.answered}) and refusals (${tally.refused})`);
  t.ok(tally.cells > 500 && tally.benchmarkCells > 100, `figures compared: ${tally.cells}, of which benchmark cells ${tally.benchmarkCells}`);
});

t.test('the k rule alone: with cluster declared benchmark-safe, the single-comune class is suppressed, the others are not', async (t) => {
  const cubes = model.cubes as Map<string, Cube>;
  const original = cubes.get('prestazioni')!;
  const dims = new Map(original.dimensions);
  dims.set('cluster', { ...dims.get('cluster')!, territorial: false });
  cubes.set('prestazioni', { ...original, dimensions: dims, access: { ...original.access, benchmark: { ...original.access.benchmark!, dimensions: [...original.access.benchmark!.dimensions, 'cluster'] } } });
  t.teardown(() => void cubes.set('prestazioni', original));
  const [{ romaAts }] = await engine.query<{ romaAts: string }>(`SELECT ats AS romaAts FROM ${engine.table('territorio')} WHERE comune = '058091'`);
  const [{ other }] = await engine.query<{ other: string }>(`SELECT ats AS other FROM ${P} WHERE regione = '12' AND ats != {a:String} GROUP BY ats ORDER BY count() DESC LIMIT 1`, { a: romaAts });
  const res = await app.inject({ method: 'POST', url: '/v1/cubes/prestazioni/query', headers: await demo.as({ profile: 'ats', scope: other }), payload: { measures: ['beneficiari', 'importo'], rows: ['cluster'], benchmark: 'regione' } });
  t.equal(res.statusCode, 200);
  const rows = res.json().rows as Row[];
  // By hand: comuni outside the caller's ATS per class in Lazio (the class of 250,001+ holds Roma only).
  const hand = await engine.query<Row>(
    `SELECT multiIf(popolazione_comune <= 5000, '1', popolazione_comune <= 20000, '2', popolazione_comune <= 60000, '3', popolazione_comune <= 250000, '4', '5') k, uniqExact(comune) n
     FROM ${P} WHERE regione = '12' AND ats != {a:String} GROUP BY k`,
    { a: other },
  );
  t.ok(hand.some((h) => h.k === '5' && Number(h.n) === 1), 'fixture: class 5 is one comune');
  for (const h of hand) {
    const r = rows.find((x) => x.cluster === h.k)!;
    if (Number(h.n) < 3) t.match(r, { suppressed: 'territory', beneficiari: null, importo: null }, `class ${h.k}: ${h.n} comuni`);
    else t.notOk(r.suppressed === 'territory', `class ${h.k}: ${h.n} comuni, shown`);
  }
  t.match(res.json().suppression, { territory: { minUnits: 3, cells: hand.filter((h) => Number(h.n) < 3).length } });
  const csv = await app.inject({ method: 'POST', url: '/v1/cubes/prestazioni/query?format=csv', headers: await demo.as({ profile: 'ats', scope: other }), payload: { measures: ['beneficiari'], rows: ['cluster'], benchmark: 'regione' } });
  t.match(csv.body.split('\n').find((l) => l.startsWith('5,')), /n\.d\./, 'CSV shows n.d.');
});
