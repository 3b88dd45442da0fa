/**
 * Attack harness: a hostile analyst against the real app (demo data), each recovered value checked
 * against the truth computed by hand-written SQL on the same tables. It measures, then asserts that
 * the cell key method leaves nothing to recover. The harness uses only the HTTP API and what an
 * answer says about its protection (`perturbation.maxNoise`), so it also runs on the earlier
 * suppression code, where it reported the "before" figures of docs/riservatezza.md.
 */
import t from 'tap';
import { demoApp } from './helpers/app.ts';

const demo = await demoApp(60_000, 7);
t.teardown(demo.dispose);
const { app, engine } = demo;
type Row = Record<string, unknown>;
const P = engine.table('prestazioni');
const BANDS = ['0-2', '3-5', '6-17', '18-24', '25-44', '45-64', '65-74', '75-84', '85+'];
const BAND_SQL = `multiIf(eta <= 2, '0-2', eta <= 5, '3-5', eta <= 17, '6-17', eta <= 24, '18-24', eta <= 44, '25-44', eta <= 64, '45-64', eta <= 74, '65-74', eta <= 84, '75-84', '85+')`;
const figures: Record<string, unknown> = {};

const [{ ats, regione }] = await engine.query<{ ats: string; regione: string }>(`SELECT ats, any(regione) regione FROM ${P} GROUP BY ats ORDER BY uniqExact(comune) DESC, ats LIMIT 1`);
const asAts = await demo.as({ profile: 'ats', scope: ats });
const asRegione = await demo.as({ profile: 'regionale', scope: regione });
const asItalia = await demo.as({ profile: 'nazionale' });

interface Answer {
  rows: Row[];
  perturbation?: { maxNoise: number };
}
async function ask(headers: Record<string, string>, spec: Row, cube = 'prestazioni'): Promise<Answer> {
  const res = await app.inject({ method: 'POST', url: `/v1/cubes/${cube}/query`, headers, payload: spec });
  if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`);
  return res.json();
}
const noise = (a: Answer) => a.perturbation?.maxNoise ?? 0;
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

// Small cells of the ATS: (comune, band) with 1 or 2 persons.
const cells = await engine.query<{ comune: string; band: string; n: number; c: number; s: number }>(
  `SELECT comune, ${BAND_SQL} band, uniqExact(beneficiario_id) n, count() c, toFloat64(sum(importo)) s FROM ${P} WHERE ats = {ats:String} GROUP BY comune, band HAVING n <= 2 ORDER BY comune, band LIMIT 30`,
  { ats },
);

t.test('(1) differencing two queries whose difference is one small cell', async (t) => {
  let tried = 0;
  const hits = { beneficiari: 0, prestazioni: 0, importo: 0 };
  const pinned = { beneficiari: 0, prestazioni: 0 };
  for (const cell of cells) {
    const base = { measures: ['beneficiari', 'prestazioni', 'importo'], filters: [{ dimension: 'comune', op: 'eq', value: cell.comune }] };
    const a = await ask(asAts, base);
    const b = await ask(asAts, { ...base, filters: [...base.filters, { dimension: 'fascia_eta', op: 'not_in', values: [cell.band] }] });
    const [ra, rb] = [a.rows[0] ?? {}, b.rows[0] ?? {}];
    if (ra.suppressed || rb.suppressed) continue; // hidden: nothing to subtract
    tried++;
    const d = noise(a);
    const diff = (m: string) => (num(ra[m]) ?? 0) - (num(rb[m]) ?? 0);
    if (diff('beneficiari') === cell.n) hits.beneficiari++;
    if (diff('prestazioni') === cell.c) hits.prestazioni++;
    if (Math.abs(diff('importo') - cell.s) < 0.005) hits.importo++;
    // What the attacker can be sure of: each published count is within D of the truth.
    if (d === 0 && diff('beneficiari') === cell.n) pinned.beneficiari++;
    if (d === 0 && diff('prestazioni') === cell.c) pinned.prestazioni++;
  }
  figures.differencing = { targets: cells.length, tried, exactHits: hits, pinned };
  t.comment(`differencing: ${JSON.stringify(figures.differencing)}`);
  t.ok(cells.length >= 15, 'enough small cells to attack');
  t.equal(hits.importo, 0, 'no amount of a small cell recovered');
  t.same(pinned, { beneficiari: 0, prestazioni: 0 }, 'no count pinned');
  t.ok(hits.beneficiari < tried / 2 && hits.prestazioni < tried / 2, 'a naive difference is wrong more often than right');
});

t.test('(2) the same small cell reached through 50 queries, paths and orders gives one value', async (t) => {
  // A cell of 1 or 2 persons that is published (not left out), else any small cell.
  const grid = await ask(asAts, { measures: ['beneficiari'], rows: ['comune', 'fascia_eta'], limit: 100_000 });
  const target = cells.find((c) => grid.rows.some((r) => r.comune === c.comune && r.fascia_eta === c.band && !r.suppressed)) ?? cells[0];
  const { comune, band } = target;
  const variants: { headers: Record<string, string>; spec: Row }[] = [];
  const measureSets = [['beneficiari', 'prestazioni', 'importo'], ['importo', 'beneficiari', 'importo_medio', 'prestazioni'], ['prestazioni', 'beneficiari', 'importo', 'quota_popolazione']];
  const shapes: ((extra: Row) => Row)[] = [
    (e) => ({ rows: ['comune'], filters: [{ dimension: 'fascia_eta', op: 'eq', value: band }], ...e }),
    (e) => ({ rows: ['fascia_eta'], filters: [{ dimension: 'comune', op: 'eq', value: comune }], ...e }),
    (e) => ({ rows: ['comune', 'fascia_eta'], ...e }),
    (e) => ({ rows: ['fascia_eta', 'comune'], ...e }),
    (e) => ({ rows: ['comune'], columns: ['fascia_eta'], ...e }),
    (e) => ({ filters: [{ dimension: 'comune', op: 'in', values: [comune] }, { dimension: 'fascia_eta', op: 'between', values: [band, band] }], ...e }),
    (e) => ({ rows: ['comune'], filters: [{ dimension: 'fascia_eta', op: 'in', values: [band] }, { dimension: 'genere', op: 'in', values: [1, 2] }], ...e }),
  ];
  const extras: Row[] = [{}, { totals: true }, { subtotals: true }, { order: [{ by: 'beneficiari', direction: 'desc' }] }, { order: [{ by: 'importo', direction: 'asc' }], totals: true }];
  const who = [asAts, asRegione, asItalia];
  for (let i = 0; variants.length < 50; i++) {
    const shape = shapes[i % shapes.length];
    const extra = extras[Math.floor(i / shapes.length) % extras.length];
    const measures = measureSets[i % measureSets.length];
    const headers = who[i % who.length];
    const spec = shape({ measures, ...extra });
    // A profile above the ATS names the ATS, so the set of people is the same.
    if (headers !== asAts) spec.filters = [...((spec.filters as Row[]) ?? []), { dimension: 'ats', op: 'eq', value: ats }];
    variants.push({ headers, spec });
  }
  const seen = new Set<string>();
  for (const v of variants) {
    const a = await ask(v.headers, v.spec);
    const row = a.rows.find((r) => !r.rollup && (r.comune ?? comune) === comune && (r.fascia_eta ?? band) === band);
    seen.add(row ? JSON.stringify([row.beneficiari, row.prestazioni, row.importo, row.suppressed ?? null]) : 'assente');
  }
  figures.consistency = { queries: variants.length, distinctAnswers: seen.size, values: [...seen] };
  t.comment(`consistency: ${JSON.stringify(figures.consistency)}`);
  t.equal(seen.size, 1, `one published value for (${comune}, ${band}) over 50 queries`);
});

t.test('(3) interval attack on a published table with margins pins no cell of 1 or 2', async (t) => {
  const [{ anno }] = await engine.query<{ anno: number }>(`SELECT max(anno) anno FROM ${P}`);
  const spec = { measures: ['beneficiari', 'prestazioni', 'importo'], rows: ['ats', 'comune'], columns: ['fascia_eta'], totals: true, subtotals: true, filters: [{ dimension: 'anno', op: 'eq', value: anno }], limit: 100_000 };
  const answer = await ask(asRegione, spec);
  const D = noise(answer);
  const truth = await engine.query<{ ats: string; comune: string; band: string; n: number; c: number; s: number; g: number }>(
    `SELECT ats, comune, ${BAND_SQL} band, uniqExact(beneficiario_id) n, count() c, toFloat64(sum(importo)) s, grouping(ats, comune, band) g
     FROM ${P} WHERE regione = {regione:String} AND anno = {anno:UInt16}
     GROUP BY GROUPING SETS ((ats, comune, band), (ats, comune), (ats, band), (ats), (band), ()) SETTINGS group_by_use_nulls = 1`,
    { regione, anno },
  );
  const keyOf = (a: unknown, c: unknown, b: unknown) => JSON.stringify([a ?? '*', c ?? '*', b ?? '*']);
  const trueOf = new Map(truth.map((r) => [keyOf(r.ats, r.comune, r.band), r]));
  const published = new Map(answer.rows.map((r) => [keyOf(r.ats, r.comune, r.fascia_eta), r]));
  // The attacker's universe: every comune of the region (public) by every band, with their margins.
  const comuni = await engine.query<{ ats: string; comune: string }>(`SELECT DISTINCT ats, comune FROM ${engine.table('territorio')} WHERE regione = {regione:String}`, { regione });
  const keys = new Set<string>();
  for (const { ats: a, comune: c } of comuni) for (const b of [...BANDS, null]) for (const cc of [c, null]) keys.add(keyOf(a, cc, b));
  for (const b of [...BANDS, null]) keys.add(keyOf(null, null, b));
  // Persons are additive over comuni and bands only if each is in one detail cell (nobody changes band or comune within the year): check on the truth.
  const additive = (m: 'n' | 'c') => truth.filter((x) => x.g === 0).reduce((s, x) => s + x[m], 0) === truth.find((x) => x.g === 0b111)![m];
  const result: Record<string, { cellsOf1or2: number; pinned: number }> = {};
  for (const [measure, m] of [['beneficiari', 'n'], ['prestazioni', 'c']] as const) {
    if (!additive(m)) continue;
    const lo = new Map<string, number>();
    const hi = new Map<string, number>();
    for (const k of keys) {
      const r = published.get(k);
      const v = r ? num(r[measure]) : 0;
      if (r && v === null) {
        lo.set(k, 1);
        hi.set(k, measure === 'beneficiari' && r.suppressed === 'primary' ? 2 : 1e9); // primary suppression: fewer than 3 persons
      } else if (!r && D > 0 && measure === 'prestazioni') {
        lo.set(k, 0);
        hi.set(k, 1e9); // left out: at most D persons, but any number of their records
      } else {
        lo.set(k, Math.max(0, v! - D));
        hi.set(k, v! + D);
      }
    }
    // Constraints: a margin is the sum of its parts (comuni of an ATS, ATS of the region, bands of a row).
    const groups: { parent: string; parts: string[] }[] = [];
    for (const k of keys) {
      const [a, c, b] = JSON.parse(k) as string[];
      if (b === '*') groups.push({ parent: k, parts: BANDS.map((x) => keyOf(a === '*' ? null : a, c === '*' ? null : c, x)).filter((x) => keys.has(x)) });
      if (c === '*' && a !== '*') groups.push({ parent: k, parts: comuni.filter((x) => x.ats === a).map((x) => keyOf(a, x.comune, b === '*' ? null : b)) });
      if (a === '*') groups.push({ parent: k, parts: [...new Set(comuni.map((x) => x.ats))].map((x) => keyOf(x, null, b === '*' ? null : b)) });
    }
    for (let changed = true, n = 0; changed && n < 200; n++) {
      changed = false;
      for (const g of groups) {
        const sumLo = g.parts.reduce((s, x) => s + lo.get(x)!, 0);
        const sumHi = g.parts.reduce((s, x) => s + hi.get(x)!, 0);
        const set = (map: Map<string, number>, k: string, v: number, better: (a: number, b: number) => boolean) => {
          if (better(v, map.get(k)!)) (map.set(k, v), (changed = true));
        };
        set(lo, g.parent, sumLo, (a, b) => a > b);
        set(hi, g.parent, sumHi, (a, b) => a < b);
        for (const x of g.parts) {
          set(lo, x, lo.get(g.parent)! - (sumHi - hi.get(x)!), (a, b) => a > b);
          set(hi, x, hi.get(g.parent)! - (sumLo - lo.get(x)!), (a, b) => a < b);
        }
      }
    }
    let small = 0;
    let pinned = 0;
    let wrong = 0;
    for (const k of keys) {
      const tv = trueOf.get(k)?.[m] ?? 0;
      if (tv < lo.get(k)! || tv > hi.get(k)!) wrong++;
      if (tv === 1 || tv === 2) {
        small++;
        if (lo.get(k) === hi.get(k)) pinned++;
      }
    }
    t.equal(wrong, 0, `${measure}: the attacker's intervals hold the truth (the harness is sound)`);
    result[measure] = { cellsOf1or2: small, pinned };
  }
  figures.intervals = { D, ...result };
  t.comment(`interval attack: ${JSON.stringify(figures.intervals)}`);
  t.ok(Object.keys(result).length > 0, 'at least one additive count attacked');
  for (const [measure, r] of Object.entries(result)) {
    t.ok(r.cellsOf1or2 > 50, `${measure}: ${r.cellsOf1or2} cells of 1 or 2 in the table`);
    t.equal(r.pinned, 0, `${measure}: none pinned`);
  }
});

t.test('(4) no count, sub-count or share numerator publishes 1 or 2', async (t) => {
  const asks: [string, Row, string[], [string, string][]][] = [
    ['prestazioni', { rows: ['comune', 'fascia_eta'], columns: ['genere'], totals: true, subtotals: true }, ['beneficiari', 'prestazioni', 'beneficiari_presa_in_carico', 'prestazioni_soggette_isee', 'prestazioni_isee_noto'], [['quota_beneficiari_presa_in_carico', 'beneficiari'], ['copertura_isee', 'prestazioni_soggette_isee']]],
    ['prestazioni', { rows: ['comune', 'codice_prestazione'] }, ['beneficiari', 'beneficiari_presa_in_carico'], [['quota_beneficiari_presa_in_carico', 'beneficiari']]],
    ['sina', { rows: ['comune'], columns: ['genere'], totals: true }, ['beneficiari', 'valutazioni'], []],
    ['sinba', { rows: ['comune'], totals: true }, ['minori'], []],
    ['isee', { rows: ['comune'], totals: true }, ['dsu', 'persone'], []],
  ];
  let counts = 0;
  let small = 0;
  let smallNumerators = 0;
  for (const [cube, shape, measures, shares] of asks) {
    const a = await ask(asRegione, { ...shape, measures: [...measures, ...shares.map(([s]) => s)], limit: 100_000 }, cube);
    for (const r of a.rows) {
      for (const m of measures) {
        const v = num(r[m]);
        if (v === null) continue;
        counts++;
        if (v === 1 || v === 2) small++;
      }
      for (const [share, den] of shares) {
        const q = num(r[share]);
        const d = num(r[den]);
        if (q === null || d === null) continue;
        const numerator = Math.round(q * d);
        if (numerator === 1 || numerator === 2) smallNumerators++;
      }
    }
  }
  figures.smallCounts = { published: counts, onesAndTwos: small, shareNumeratorsOf1or2: smallNumerators };
  t.comment(`small counts: ${JSON.stringify(figures.smallCounts)}`);
  t.ok(counts > 2000, `${counts} counts checked`);
  t.equal(small, 0, 'no count is 1 or 2');
  t.equal(smallNumerators, 0, 'no share has a numerator of 1 or 2');
});

t.test('(5) ordering by a measure reveals nothing beyond the published values', async (t) => {
  // The band with the most small cells in the ATS.
  const [{ band }] = await engine.query<{ band: string }>(
    `SELECT band FROM (SELECT comune, ${BAND_SQL} band, uniqExact(beneficiario_id) n FROM ${P} WHERE ats = {ats:String} GROUP BY comune, band) WHERE n <= 2 GROUP BY band ORDER BY count() DESC, band LIMIT 1`,
    { ats },
  );
  const base = { rows: ['comune'], measures: ['beneficiari', 'importo'], filters: [{ dimension: 'fascia_eta', op: 'eq', value: band }] };
  let revealing = 0;
  let hiddenBetween = 0;
  let unsorted = 0;
  for (const measure of ['beneficiari', 'importo']) {
    const asc = (await ask(asAts, { ...base, order: [{ by: measure, direction: 'asc' }] })).rows;
    const desc = (await ask(asAts, { ...base, order: [{ by: measure, direction: 'desc' }] })).rows;
    // Rows that tie on the published value (or are all hidden) must keep one order, the order of the comune codes.
    for (const rows of [asc, desc]) {
      const groups = new Map<string, string[]>();
      for (const r of rows) {
        const k = String(r[measure]);
        groups.set(k, [...(groups.get(k) ?? []), r.comune as string]);
      }
      for (const g of groups.values()) g.forEach((c, i) => i > 0 && c < g[i - 1] && revealing++);
      // A hidden value placed between two visible ones tells its range.
      rows.forEach((r, i) => {
        if (r[measure] === null && i > 0 && i < rows.length - 1 && rows[i - 1][measure] !== null && rows.slice(i + 1).some((x) => x[measure] !== null)) hiddenBetween++;
      });
    }
    const values = asc.map((r) => num(r[measure])).filter((v): v is number => v !== null);
    values.forEach((v, i) => i > 0 && v < values[i - 1] && unsorted++);
  }
  figures.ordering = { band, tiesOutOfCodeOrder: revealing, hiddenBetweenVisible: hiddenBetween, unsorted };
  t.comment(`ordering: ${JSON.stringify(figures.ordering)}`);
  t.same(figures.ordering, { band, tiesOutOfCodeOrder: 0, hiddenBetweenVisible: 0, unsorted: 0 });
});

t.test('utility: deviation from the truth on a national table', async (t) => {
  const spec = { measures: ['beneficiari', 'prestazioni', 'importo'], rows: ['regione', 'fascia_eta'], columns: ['genere'], totals: true, limit: 100_000 };
  const answer = await ask(asItalia, spec);
  const truth = await engine.query<{ regione: string | null; band: string | null; genere: number | null; n: number; c: number; s: number }>(
    `SELECT regione, ${BAND_SQL} band, genere, uniqExact(beneficiario_id) n, count() c, toFloat64(sum(importo)) s FROM ${P}
     GROUP BY GROUPING SETS ((regione, band, genere), (regione, band), (genere), ()) SETTINGS group_by_use_nulls = 1`,
  );
  const pub = new Map(answer.rows.map((r) => [JSON.stringify([r.regione ?? null, r.fascia_eta ?? null, r.genere ?? null]), r]));
  const stats = { beneficiari: { mad: 0, changed: 0 }, prestazioni: { mad: 0, changed: 0 }, importo: { meanRelative: 0, absolute: 0, total: 0, changed: 0 }, cells: truth.length, left: 0 };
  for (const tr of truth) {
    const r = pub.get(JSON.stringify([tr.regione, tr.band, tr.genere]));
    if (!r) stats.left++;
    const n = r ? Number(r.beneficiari) : 0;
    const c = r ? Number(r.prestazioni) : 0;
    const s = r ? Number(r.importo) : 0;
    stats.beneficiari.mad += Math.abs(n - tr.n);
    stats.beneficiari.changed += n !== tr.n ? 1 : 0;
    stats.prestazioni.mad += Math.abs(c - tr.c);
    stats.prestazioni.changed += c !== tr.c ? 1 : 0;
    stats.importo.meanRelative += Math.abs(s - tr.s) / tr.s;
    stats.importo.absolute += Math.abs(s - tr.s);
    stats.importo.total += tr.s;
    stats.importo.changed += Math.abs(s - tr.s) >= 0.005 ? 1 : 0;
  }
  const N = truth.length;
  const out = {
    cells: N,
    leftOut: stats.left,
    beneficiari: { meanAbsDeviation: +(stats.beneficiari.mad / N).toFixed(3), shareChanged: +(stats.beneficiari.changed / N).toFixed(3) },
    prestazioni: { meanAbsDeviation: +(stats.prestazioni.mad / N).toFixed(3), shareChanged: +(stats.prestazioni.changed / N).toFixed(3) },
    importo: { meanRelativeDeviation: +(stats.importo.meanRelative / N).toFixed(4), weightedRelativeDeviation: +(stats.importo.absolute / stats.importo.total).toFixed(4), shareChanged: +(stats.importo.changed / N).toFixed(3) },
  };
  figures.utility = out;
  t.comment(`utility (national table regione x fascia_eta x genere with totals): ${JSON.stringify(out)}`);
  t.ok(out.beneficiari.meanAbsDeviation <= 1.5, 'counts move by about one unit on average');
  t.ok(out.importo.weightedRelativeDeviation < 0.05, 'amounts move by a few percent at most, weighted by amount');
});

t.teardown(() => console.log(`ATTACK FIGURES ${JSON.stringify(figures)}`));
