/**
 * Generated PS-PSA benefit records, deterministic for a seed, written by the
 * engine itself (INSERT … SELECT) so that millions of rows load in seconds.
 *
 * People are drawn per comune in proportion to its population; each person
 * has an age group, birth year, gender, a propensity to be taken in charge
 * and an ISEE value, is active for 1-4 consecutive years between 2019 and
 * 2023 and receives 1 to 8 benefits in each active year, with codes that
 * depend on the age group and amounts drawn from each code's distribution.
 * Every random draw is a hash of (seed, person, year, benefit, salt).
 */
import type { Engine } from '../engine/client.ts';
import { CODES, type AgeGroup } from './nomenclatore.ts';

export const YEARS = [2019, 2020, 2021, 2022, 2023] as const;
/** Expected records per person: 2.0 active years x 1.49 benefits a year (see the draws below). */
const ROWS_PER_PERSON = 2.98;

function cumulative(group: AgeGroup): number[] {
  const weights = CODES.map((c) => c.weight[group]);
  const total = weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  const out = weights.map((x) => (acc += x / total));
  out[out.length - 1] = 1;
  return out;
}

/** A uniform draw in [0, 1) from a hash of the seed, the given expressions and a salt. */
const u = (salt: number, ...exprs: string[]) => `(cityHash64({seed:UInt64}, ${[...exprs, String(salt)].join(', ')}) % 1000000) / 1000000.`;

export function benefitsSql(engine: Engine): string {
  const person = (salt: number) => u(salt, 'pid');
  const benefit = (salt: number) => u(salt, 'pid', 'anno', 'j');
  return `
INSERT INTO ${engine.table('prestazioni')}
  (anno, trimestre, beneficiario_id, comune, ats, regione, popolazione_comune, eta, genere, ente, ente_tipo, sede_comune, sede_ats, sede_regione,
   categoria, codice_prestazione, carattere, presa_in_carico, area_utenza, prova_mezzi, inps, importo, isee)
SELECT b.anno, b.trimestre, b.pid, b.comune, b.ats, b.regione, b.popolazione_comune, b.eta, b.genere,
       b.ente, e.ente_tipo, e.sede_comune, e.sede_ats, e.sede_regione,
       splitByChar('.', b.code)[1], b.code, b.carattere, b.presa, b.area, b.prova, toUInt8(b.ente = 'INPS'), b.importo, b.isee
FROM (
  SELECT
    anno, comune, ats, regione, popolazione_comune, pid, genere, upic, isee_known, isee_value, grp,
    toUInt8(greatest(0, least(100, anno - birth))) AS eta,
    ${benefit(11)} AS uc,
    arrayFirstIndex(x -> x >= uc, multiIf(grp = 0, {cumMinori:Array(Float64)}, grp = 1, {cumAdulti:Array(Float64)}, {cumAnziani:Array(Float64)})) AS idx,
    {codes:Array(String)}[idx] AS code,
    toUInt8(1 + cityHash64({seed:UInt64}, pid, anno, j, 16) % 4) AS trimestre,
    toDecimal64(round({medians:Array(Float64)}[idx] * exp({sigmas:Array(Float64)}[idx] * (${benefit(12)} + ${benefit(13)} + ${benefit(14)} - 1.5) * 2), 2), 2) AS importo,
    toUInt8(if(${benefit(15)} < {periodic:Array(Float64)}[idx], 1, 2)) AS carattere,
    toUInt8(if(upic < {pic:Array(Float64)}[idx], 1, 2)) AS presa,
    toUInt8(if(presa = 1, if(${benefit(17)} < 0.85, {areas:Array(UInt8)}[idx], 1 + cityHash64({seed:UInt64}, pid, anno, j, 18) % 3), 0)) AS area,
    toUInt8(if({meansTest:Array(UInt8)}[idx] = 1, if(${benefit(19)} < 0.1, 3, 1), {meansTest:Array(UInt8)}[idx])) AS prova,
    if(prova = 1 AND isee_known, toNullable(toDecimal64(isee_value, 2)), NULL) AS isee,
    ${benefit(20)} AS ue,
    if({inps:Array(UInt8)}[idx] = 1, 'INPS',
       multiIf(ue < 0.80, concat('C', comune),
               ue < 0.91, concat('A', substring(ats, 4)),
               ue < 0.96, concat('E', regione, '0', toString(1 + cityHash64({seed:UInt64}, pid, anno, j, 21) % 3)),
               concat('C', transform(regione, {regions:Array(String)}, {capitals:Array(String)}, comune)))) AS ente
  FROM (
    SELECT
      comune, ats, regione, popolazione_comune, pid,
      ${person(1)} AS ug,
      multiIf(ug < 0.22, 0, ug < 0.62, 1, 2) AS grp,
      multiIf(grp = 0, floor(${person(2)} * 18), grp = 1, 18 + floor(${person(2)} * 47), least(100, 65 + floor(pow(${person(2)}, 1.4) * 36))) AS age2021,
      2021 - age2021 AS birth,
      toUInt8(if(${person(3)} < if(grp = 2, 0.6, 0.5), 2, 1)) AS genere,
      2019 + floor(${person(4)} * 5) AS first_year,
      1 + floor(${person(5)} * 4) AS years_active,
      ${person(6)} AS upic,
      ${person(7)} < 0.85 AS isee_known,
      if(${person(8)} < 0.08, 0, round(-log(1 - ${person(9)}) * 8500, 2)) AS isee_value
    FROM (
      SELECT t.comune AS comune, t.ats AS ats, t.regione AS regione, t.popolazione_comune AS popolazione_comune,
             cityHash64({seed:UInt64}, t.comune, i) AS pid
      FROM ${engine.table('territorio')} AS t
      ARRAY JOIN range(toUInt32(floor(t.popolazione_comune * {rate:Float64} + ${u(0, 't.comune')}))) AS i
    )
  )
  ARRAY JOIN arrayFilter(y -> y >= first_year AND y < first_year + years_active, range(2019, 2024)) AS anno
  ARRAY JOIN range(toUInt32(1 + least(7, floor(-log(1 - ${u(10, 'pid', 'anno')}) * 0.9)))) AS j
  WHERE anno = {year:UInt16}
) AS b
LEFT JOIN ${engine.table('enti')} AS e ON e.ente = b.ente`;
}

export interface GenerateOptions {
  rows: number;
  seed: number;
  log: (line: string) => void;
}

/** Generates about `rows` records (within a few percent), one year at a time with a progress line each. */
export async function generateBenefits(engine: Engine, o: GenerateOptions): Promise<number> {
  const [{ population }] = await engine.query<{ population: number }>(`SELECT sum(popolazione_comune) AS population FROM ${engine.table('territorio')}`);
  const capitals = await engine.query<{ regione: string; comune: string }>(
    `SELECT regione, argMax(comune, popolazione_comune) AS comune FROM ${engine.table('territorio')} GROUP BY regione ORDER BY regione`,
  );
  const params = {
    seed: o.seed,
    rate: o.rows / ROWS_PER_PERSON / Number(population),
    codes: CODES.map((c) => c.code),
    cumMinori: cumulative('minori'),
    cumAdulti: cumulative('adulti'),
    cumAnziani: cumulative('anziani'),
    medians: CODES.map((c) => c.median),
    sigmas: CODES.map((c) => c.sigma),
    periodic: CODES.map((c) => c.periodic),
    pic: CODES.map((c) => c.takenInCharge),
    areas: CODES.map((c) => c.area),
    meansTest: CODES.map((c) => c.meansTest),
    inps: CODES.map((c) => (c.inps ? 1 : 0)),
    regions: capitals.map((c) => c.regione),
    capitals: capitals.map((c) => c.comune),
  };
  const sql = benefitsSql(engine);
  let total = 0;
  for (const year of YEARS) {
    const started = performance.now();
    await engine.command(sql, { ...params, year });
    const [{ n }] = await engine.query<{ n: number }>(`SELECT count() AS n FROM ${engine.table('prestazioni')} WHERE anno = {year:UInt16}`, { year });
    total += Number(n);
    o.log(`[dati] prestazioni ${year}: ${Number(n).toLocaleString('it-IT')} righe generate in ${((performance.now() - started) / 1000).toFixed(1).replace('.', ',')} s (totale ${total.toLocaleString('it-IT')})`);
  }
  return total;
}
