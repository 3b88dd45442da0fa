/** Demo benefit records: size, determinism, consistency with the reference tables, plausibility; bootstrap idempotence. */
import t from 'tap';
import { dataInfo, prepareData } from '../server/data/bootstrap.ts';
import { generateBenefits } from '../server/data/demo.ts';
import { tempEngine } from './helpers/engine.ts';

const ROWS = 200_000;
const SEED = 11;
const { engine, dispose } = await tempEngine();
t.teardown(dispose);
const P = engine.table('prestazioni');
const lines: string[] = [];
await prepareData(engine, { demoRows: ROWS, seed: SEED, log: (l) => lines.push(l) });

type Row = Record<string, number>;
const one = async (sql: string): Promise<Row> => {
  const [row] = await engine.query<Record<string, unknown>>(sql);
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]));
};
/** Aggregates that change if any row changes. */
const checksum = () =>
  one(`SELECT count() AS n, sum(importo) AS totale, uniqExact(beneficiario_id) AS persone,
              sum(cityHash64(anno, trimestre, beneficiario_id, comune, eta, genere, ente, codice_prestazione, carattere, presa_in_carico, area_utenza, prova_mezzi, importo, isee)) % 1000000007 AS h
       FROM ${P}`);

t.test('about the requested number of rows, with progress lines', async (t) => {
  const { n } = await one(`SELECT count() AS n FROM ${P}`);
  t.ok(Math.abs(n - ROWS) / ROWS < 0.1, `${n} rows for ${ROWS}`);
  t.match(lines.join('\n'), /\[dati\] territorio: 7904 comuni ISTAT, \d+ ATS generati \(\d+,\d s\)/);
  t.match(lines.join('\n'), /\[dati\] popolazione residente stimata: 1\.596\.608 celle/);
  t.match(lines.join('\n'), /\[dati\] prestazioni 2019: [\d.]+ righe generate in \d+,\d s/);
  t.match(lines.join('\n'), /\[dati\] prestazioni: [\d.]+ righe generate in \d+,\d s/);
  const years = await engine.query<{ anno: number; n: number }>(`SELECT anno, count() AS n FROM ${P} GROUP BY anno ORDER BY anno`);
  t.same(years.map((y) => y.anno), [2019, 2020, 2021, 2022, 2023]);
  t.ok(years.every((y, i) => i === 0 || (y.n >= years[i - 1].n * 0.95 && y.n <= years[i - 1].n * 1.3)), 'steady with some growth (comuni joining)');
});

t.test('people: stable id, residence, gender and birth year; several benefits a year, often several years', async (t) => {
  const stable = await one(
    `SELECT countIf(nc > 1) AS comuni, countIf(ng > 1) AS generi, countIf(nb > 1) AS nascite FROM (
       SELECT beneficiario_id, uniqExact(comune) AS nc, uniqExact(genere) AS ng, uniqExactIf(anno - eta, eta < 100) AS nb FROM ${P} GROUP BY beneficiario_id)`,
  );
  t.same(stable, { comuni: 0, generi: 0, nascite: 0 });
  const years = await engine.query<{ anno: number; n: number; persone: number; multi: number }>(
    `SELECT anno, sum(k) AS n, count() AS persone, countIf(k > 1) AS multi FROM (SELECT anno, beneficiario_id, count() AS k FROM ${P} GROUP BY anno, beneficiario_id) GROUP BY anno ORDER BY anno`,
  );
  for (const y of years) {
    t.ok(y.n > y.persone * 1.5, `${y.anno}: ${y.n} benefits to ${y.persone} people`);
    t.ok(y.multi / y.persone > 0.3 && y.multi / y.persone < 0.7, `${y.anno}: ${((y.multi / y.persone) * 100).toFixed(0)}% with more than one`);
  }
  const { several } = await one(`SELECT avg(k > 1) AS several FROM (SELECT beneficiario_id, uniqExact(anno) AS k FROM ${P} GROUP BY beneficiario_id)`);
  t.ok(several > 0.25 && several < 0.75, `${(several * 100).toFixed(0)}% of people in more than one year`);
  const ages = await one(`SELECT avg(eta < 18) AS minori, avg(eta >= 65) AS anziani, avg(genere = 2) AS donne FROM (SELECT beneficiario_id, any(eta) AS eta, any(genere) AS genere FROM ${P} WHERE anno = 2021 GROUP BY beneficiario_id)`);
  t.ok(ages.minori > 0.15 && ages.minori < 0.25 && ages.anziani > 0.33 && ages.anziani < 0.47 && ages.donne > 0.5 && ages.donne < 0.62, JSON.stringify(ages));
});

t.test('residence and provider columns agree with territorio and enti', async (t) => {
  const residence = await one(
    `SELECT count() AS n, countIf(p.ats != t.ats OR p.regione != t.regione OR p.popolazione_comune != t.popolazione_comune OR t.comune = '') AS wrong
     FROM ${P} AS p LEFT JOIN ${engine.table('territorio')} AS t ON t.comune = p.comune SETTINGS join_use_nulls = 0`,
  );
  t.equal(residence.wrong, 0, 'residence columns copied from territorio');
  const seat = await one(
    `SELECT countIf(e.ente = '' OR p.ente_tipo != e.ente_tipo OR p.sede_comune != e.sede_comune OR p.sede_ats != e.sede_ats OR p.sede_regione != e.sede_regione) AS wrong
     FROM ${P} AS p LEFT JOIN ${engine.table('enti')} AS e ON e.ente = p.ente SETTINGS join_use_nulls = 0`,
  );
  t.equal(seat.wrong, 0, 'sede_* and ente_tipo are those of the ente');
  const inps = await one(`SELECT countIf(inps != (ente = 'INPS') OR inps != (ente_tipo = 'inps')) AS wrong, avg(inps) AS share FROM ${P}`);
  t.equal(inps.wrong, 0, 'inps = 1 exactly for INPS');
  t.ok(inps.share > 0.03 && inps.share < 0.2, `INPS ${inps.share}`);
  const mix = await one(
    `SELECT avg(ente_tipo = 'comune') AS da_comune, avg(ente_tipo = 'ats') AS da_ats, avg(ente_tipo = 'altro') AS da_altro,
            countIf(ente_tipo = 'comune' AND sede_comune != comune) / countIf(ente_tipo = 'comune') AS fuori
     FROM ${P}`,
  );
  t.ok(mix.da_comune > 0.5 && mix.da_comune < 0.85 && mix.da_ats > 0.05 && mix.da_altro > 0.02, JSON.stringify(mix));
  t.ok(mix.fuori > 0.01 && mix.fuori < 0.07, `${(mix.fuori * 100).toFixed(1)}% delivered by a comune other than the residence`);
  const codes = await one(
    `SELECT countIf(n.codice_prestazione = '' OR n.categoria != p.categoria) AS wrong FROM ${P} AS p
     LEFT JOIN ${engine.table('nomenclatore')} AS n ON n.codice_prestazione = p.codice_prestazione SETTINGS join_use_nulls = 0`,
  );
  t.equal(codes.wrong, 0, 'codes and categories from the nomenclatore');
});

t.test('field rules: area utenza, ISEE, means test, periodicity, quarter', async (t) => {
  const rules = await one(
    `SELECT countIf((area_utenza = 0) != (presa_in_carico = 2)) AS area, countIf(presa_in_carico NOT IN (1, 2) OR area_utenza > 3) AS domain,
            countIf(isee IS NOT NULL AND prova_mezzi != 1) AS isee_fuori, countIf(prova_mezzi NOT BETWEEN 1 AND 4 OR carattere NOT IN (1, 2) OR trimestre NOT BETWEEN 1 AND 4) AS codes,
            countIf(importo <= 0) AS importo_nullo, countIf(eta > 100) AS eta_oltre
     FROM ${P}`,
  );
  t.same(rules, { area: 0, domain: 0, isee_fuori: 0, codes: 0, importo_nullo: 0, eta_oltre: 0 });
  const isee = await one(
    `SELECT countIf(isee IS NOT NULL) / countIf(prova_mezzi = 1) AS coverage, countIf(isee = 0) / countIf(isee IS NOT NULL) AS zero,
            countIf(isee < 10000) / countIf(isee IS NOT NULL) AS low, countIf(isee > 20000) / countIf(isee IS NOT NULL) AS high
     FROM ${P}`,
  );
  t.ok(isee.coverage > 0.8 && isee.coverage < 0.9, `ISEE known for ${(isee.coverage * 100).toFixed(1)}% of ISEE-bound benefits`);
  t.ok(isee.zero > 0.02 && isee.zero < 0.12 && isee.low > 0.5 && isee.high > 0.03, JSON.stringify(isee));
  const perYear = await one(`SELECT countIf(k > 1) AS wrong FROM (SELECT beneficiario_id, anno, uniqExact(isee) AS k FROM ${P} WHERE isee IS NOT NULL GROUP BY beneficiario_id, anno)`);
  t.equal(perYear.wrong, 0, 'one ISEE per person and year');
  const present = await one(`SELECT uniqExact(trimestre) AS q, uniqExact(carattere) AS c, uniqExact(prova_mezzi) AS m, uniqExact(area_utenza) AS a FROM ${P}`);
  t.same(present, { q: 4, c: 2, m: 4, a: 4 }, 'every value occurs');
});

t.test('codes follow their age, gender and year profiles', async (t) => {
  const profile = await engine.query<{ code: string; lo: number; hi: number; women: number; years: number[] }>(
    `SELECT codice_prestazione AS code, min(eta) AS lo, max(eta) AS hi, avg(genere = 2) AS women, arraySort(groupUniqArray(anno)) AS years FROM ${P} GROUP BY code`,
  );
  const get = (code: string) => profile.find((p) => p.code === code)!;
  t.ok(get('A3.02').hi <= 2, 'asilo nido: babies');
  t.ok(get('A1.09').lo >= 3 && get('A1.09').hi <= 17, 'servizi scolastici: school age');
  t.ok(get('A2.08').lo >= 11, 'ADI: mostly the old');
  t.equal(Number(get('A1.52').women), 1, 'maternity allowance: women');
  t.same(get('A1.06.01').years.map(Number).filter((y) => y < 2020 || y > 2022), [], 'Covid-19 vouchers: 2020-2022');
  const amounts = await one(
    `SELECT quantileExactIf(0.5)(importo, codice_prestazione = 'A3.03' AND carattere = 1) AS comunita, quantileExactIf(0.5)(importo, codice_prestazione = 'A1.06' AND carattere = 2) AS buoni FROM ${P}`,
  );
  t.ok(amounts.comunita > 15_000 && amounts.buoni < 400, JSON.stringify(amounts));
  const area = await one(`SELECT avgIf(area_utenza = 2, presa_in_carico = 1 AND codice_prestazione = 'A2.08') AS adi, avgIf(area_utenza = 1, presa_in_carico = 1 AND codice_prestazione = 'A3.03') AS minori FROM ${P}`);
  t.same(area, { adi: 1, minori: 1 }, 'area utenza consistent with the code');
});

t.test('not every comune has beneficiaries; small comuni less often', async (t) => {
  const c = await one(
    `SELECT uniqExactIf(t.comune, t.popolazione_comune >= 20000 AND p.comune != '') / uniqExactIf(t.comune, t.popolazione_comune >= 20000) AS large,
            uniqExactIf(t.comune, t.popolazione_comune < 1000 AND p.comune != '') / uniqExactIf(t.comune, t.popolazione_comune < 1000) AS small
     FROM ${engine.table('territorio')} AS t LEFT JOIN (SELECT DISTINCT comune FROM ${P} WHERE anno = 2023) AS p ON p.comune = t.comune SETTINGS join_use_nulls = 0`,
  );
  t.ok(c.large > 0.95, `large comuni with beneficiaries: ${c.large}`);
  t.ok(c.small < c.large, `small comuni with beneficiaries: ${c.small}`);
});

t.test('a second prepareData only reports; dataInfo states the data as of and that it is generated', async (t) => {
  const before = await checksum();
  const [{ versions }] = await engine.query<{ versions: number }>(`SELECT count() AS versions FROM ${engine.table('data_versions')}`);
  const again: string[] = [];
  await prepareData(engine, { demoRows: 5_000, seed: 99, log: (l) => again.push(l) });
  t.same(again, [`[dati] dati esistenti riusati: ${before.n.toLocaleString('it-IT')} prestazioni`]);
  t.same(await checksum(), before);
  const [{ versions: after }] = await engine.query<{ versions: number }>(`SELECT count() AS versions FROM ${engine.table('data_versions')}`);
  t.equal(Number(after), Number(versions), 'nothing recorded');
  const info = await dataInfo(engine);
  t.equal(info.demo, true);
  t.match(info.dataDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  t.ok(Date.now() - Date.parse(info.dataDate) < 10 * 60_000, 'loaded just now');
  t.same(Object.keys(info.sources).sort(), ['dsu', 'enti', 'nomenclatore', 'pon', 'popolazione', 'prestazioni', 'sina', 'sinba', 'territorio']);
  t.equal(info.details.prestazioni.rows, before.n);
  t.equal(info.details.territorio.generated, false);
  t.equal(info.details.popolazione.generated, true, 'the population by age is estimated');
  t.match(info.details.prestazioni.note, /generati \(seme 11/);
});

t.test('deterministic: the same seed gives the same rows, another seed other rows of the same size', async (t) => {
  const first = await checksum();
  await engine.command(`TRUNCATE TABLE ${P}`);
  await generateBenefits(engine, { rows: ROWS, seed: SEED, log: () => {} });
  t.same(await checksum(), first, 'same seed, same aggregates');
  await engine.command(`TRUNCATE TABLE ${P}`);
  await generateBenefits(engine, { rows: ROWS, seed: SEED + 1, log: () => {} });
  const other = await checksum();
  t.not(other.h, first.h, 'another seed, other rows');
  t.ok(Math.abs(other.n - ROWS) / ROWS < 0.1, `${other.n} rows`);
});
