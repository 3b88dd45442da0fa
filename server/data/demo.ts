/**
 * Generated PS-PSA benefit records (`prestazioni`), deterministic for a seed,
 * written by the engine itself (INSERT … SELECT, one statement a year) so that
 * millions of rows load in seconds. Every random draw is a hash of (seed,
 * what is drawn, a salt): see random.ts.
 *
 * The model, in short:
 * - Comuni: each has a propensity (a regional factor x a log-normal factor of
 *   its own) and a first year of transmission (most from 2019, small comuni
 *   often later, a few never), so coverage grows over the years and not every
 *   comune has beneficiaries.
 * - People: drawn per comune in proportion to population x propensity, with a
 *   stable id, comune of residence, birth year (beneficiaries are older or
 *   younger than the population: 20% minors, 40% 18-64, 40% 65+) and gender
 *   (more women among adults and the old). Each person is in the system for a
 *   spell of consecutive years (stationary entries and exits: about 40% leave
 *   each year) and receives benefits in each year of it (about 1.9 on average,
 *   half of the people just one, some ten or more).
 * - Benefits: the code depends on age band, gender and year (nomenclatore
 *   weights: asili nido for babies, ADI for the old, Covid-19 food vouchers in
 *   2020-2021); people keep their main code from one benefit and year to the
 *   next; amount, periodicity, means test, taking in charge and area follow
 *   the code (taking in charge also depends on the person).
 * - Providers: INPS for the codes it pays; otherwise the comune of residence,
 *   or (as often as associated management is common in the region) the ATS or
 *   another body of the region (the ASL for health services), and in 3% of
 *   cases a comune other than the residence (the ATS's main comune or the
 *   regional chief town).
 */
import type { Engine } from '../engine/client.ts';
import { CODES, YEARS, codeWeights, AGE_BANDS } from './nomenclatore.ts';
import { cumulative, normalSql, pickSql, uniformSql } from './random.ts';
import { CHIEF_TOWNS } from './territory.ts';

export { YEARS };

/**
 * Share of the social spending of comuni managed in associated form (ATS,
 * consortia, ASL, unions of comuni), by region, about 2012 (ISTAT data as
 * summarised by F. Pesaresi, "Gestione associata dei servizi sociali", 2014:
 * Trentino-Alto Adige 86%, Valle d'Aosta 63%, Friuli-Venezia Giulia 54%,
 * Piemonte 39%, Abruzzo 38%, Campania 36%, Toscana 34%, Veneto 32%, Lombardia
 * 14%, Calabria 10%, Sicilia 9%, Marche 8%, Sardegna 6%, Lazio 5%); the other
 * regions are guesses. Used as the share of benefits not paid by INPS that an
 * ATS or another body delivers.
 */
export const ASSOCIATED_SHARE: Readonly<Record<string, number>> = {
  '01': 0.39, '02': 0.63, '03': 0.14, '05': 0.32, '06': 0.54, '07': 0.2, '08': 0.3, '09': 0.34, '10': 0.2, '11': 0.08,
  '12': 0.05, '13': 0.38, '14': 0.2, '15': 0.36, '16': 0.25, '17': 0.2, '18': 0.1, '19': 0.09, '20': 0.06, '21': 0.86, '22': 0.86,
};

/** Share of the benefits not paid by INPS that a comune other than the residence delivers. */
const OUTSIDE_SHARE = 0.03;
/** Among associated deliveries, the share of the ATS (the rest: other bodies). */
const ATS_SHARE = 0.65;
/** Yearly exit probability of a person from the benefit system. */
const EXIT = 0.4;
/** Share of people whose spell began before 2019 (stationary: stock / (stock + 4 yearly inflows)). */
const IN_STOCK = 1 / (1 + 4 * EXIT);
/** Beneficiary age groups: cumulative shares of minors, 18-64, 65+. */
const MINORS = 0.2;
const ADULTS_CUM = 0.6;
/**
 * Benefit records of a person in a year: 1 + a geometric count, P(n > k) = q^k,
 * with q drawn per person in this range (mean about 1.9 records, some people
 * many more), capped far in the tail.
 */
const INTENSITY = [0.25, 0.65] as const;
const MAX_BENEFITS = 20;
/** Probability that a benefit repeats the person's main code. */
const MAIN_CODE = 0.45;
/** First year of transmission of a comune: cumulative probabilities of 2019..2023 (the rest: never). */
const START_LARGE = [0.92, 0.97, 1, 1, 1];
const START_SMALL = [0.74, 0.84, 0.91, 0.95, 0.97];

/* SQL building blocks. `t.` is the territorio row, `pid` the person, `anno` the year, `j` the benefit. */
const U = uniformSql;
const comuneFactorSql = `((0.7 + 0.6 * ${U('region', 't.regione')}) * exp(0.35 * ${normalSql('comune', 't.comune')}))`;
const comuneStartSql = `if(arrayFirstIndex(x -> x > ${U('start', 't.comune')}, if(t.popolazione_comune < 20000, [${START_SMALL}], [${START_LARGE}])) AS _si = 0, 2099, 2018 + _si)`;

/** Expected benefit records per person-year in the system: geometric, capped, with a per-person parameter. */
function benefitsPerYear(): number {
  let sum = 0;
  const steps = 1000;
  for (let s = 0; s < steps; s++) {
    const q = INTENSITY[0] + (INTENSITY[1] - INTENSITY[0]) * ((s + 0.5) / steps);
    sum += (1 - q ** MAX_BENEFITS) / (1 - q);
  }
  return sum / steps;
}

/** Probability that a person is in the system in each year (stationary spells) and already born. */
function presenceByYear(): number[] {
  return YEARS.map((y, yi) => {
    let active = IN_STOCK * (1 - EXIT) ** yi;
    for (let s = 1; s <= yi; s++) active += ((1 - IN_STOCK) / 4) * (1 - EXIT) ** (yi - s);
    const unborn = Math.max(0, 2021 - y) / 18; // minors aged 0..(2020 - y) in 2021 were not born yet
    return active * (1 - MINORS * unborn);
  });
}

export function benefitsSql(engine: Engine): string {
  const person = (salt: string) => U(salt, 'pid');
  const personYear = (salt: string) => U(salt, 'pid', 'anno');
  const benefit = (salt: string) => U(salt, 'pid', 'anno', 'j');
  return `
INSERT INTO ${engine.table('prestazioni')}
  (anno, trimestre, beneficiario_id, comune, ats, regione, popolazione_comune, eta, genere, ente, ente_tipo, sede_comune, sede_ats, sede_regione,
   categoria, codice_prestazione, carattere, presa_in_carico, area_utenza, prova_mezzi, inps, importo, isee)
SELECT b.anno, b.trimestre, b.pid, b.comune, b.ats, b.regione, b.popolazione_comune, b.eta, b.genere,
       b.ente, e.ente_tipo, e.sede_comune, e.sede_ats, e.sede_regione,
       splitByChar('.', b.code)[1], b.code, b.carattere, b.presa, b.area, b.prova, toUInt8(b.ente = 'INPS'), b.importo, b.isee
FROM (
  SELECT
    anno, comune, ats, regione, popolazione_comune, pid, genere, eta,
    multiIf(${AGE_BANDS.slice(0, -1).map((limit, i) => `eta < ${limit}, ${i}`).join(', ')}, ${AGE_BANDS.length - 1}) AS band,
    {codeCum:Array(Array(Float64))}[(anno - ${YEARS[0]}) * 20 + band * 2 + genere] AS cum,
    if(${benefit('main')} < ${MAIN_CODE}, ${pickSql('cum', 'umain')}, ${pickSql('cum', benefit('code'))}) AS idx,
    {codes:Array(String)}[idx] AS code,
    toUInt8(1 + cityHash64({seed:UInt64}, pid, anno, j, 'trimestre') % 4) AS trimestre,
    toUInt8(if(${benefit('carattere')} < {periodic:Array(Float64)}[idx], 1, 2)) AS carattere,
    toDecimal64(greatest(5, round({medians:Array(Float64)}[idx] * exp({sigmas:Array(Float64)}[idx] * ${normalSql('importo', 'pid', 'anno', 'j')})
      * multiIf(carattere = 2 AND {periodic:Array(Float64)}[idx] >= 0.5, 0.4, carattere = 1 AND {periodic:Array(Float64)}[idx] < 0.5, 2., 1.) * (0.85 + 0.3 * ${U('cost', 'regione')}) * pow(1.02, anno - ${YEARS[0]}), 2)), 2) AS importo,
    toUInt8(if(upic < {pic:Array(Float64)}[idx], 1, 2)) AS presa,
    toUInt8(if(presa = 1, ${pickSql('{areaCum:Array(Array(Float64))}[idx]', benefit('area'))}, 0)) AS area,
    toUInt8(${pickSql('{meansCum:Array(Array(Float64))}[idx]', benefit('prova'))}) AS prova,
    if(prova = 1 AND isee_known, toNullable(toDecimal64(isee_value, 2)), NULL) AS isee,
    indexOf({regions:Array(String)}, regione) AS ri,
    least(0.95, {assoc:Array(Float64)}[ri] * {associated:Array(Float64)}[idx]) AS passoc,
    ${benefit('ente')} AS ue,
    if({inps:Array(UInt8)}[idx] = 1, 'INPS',
       multiIf(ue < ${OUTSIDE_SHARE}, concat('C', if(main_comune != comune, main_comune, {chief:Array(String)}[ri])),
               ue < ${OUTSIDE_SHARE} + ${1 - OUTSIDE_SHARE} * passoc * ${ATS_SHARE}, concat('A', substring(ats, 4)),
               ue < ${OUTSIDE_SHARE} + ${1 - OUTSIDE_SHARE} * passoc, concat('E', regione, if({health:Array(UInt8)}[idx] = 1 OR ${benefit('altro')} < 0.3, '01', if(${benefit('altro2')} < 0.5, '02', '03'))),
               concat('C', comune))) AS ente
  FROM (
    SELECT *,
      toInt32({year:UInt16}) AS anno,
      toUInt8(least(100, anno - birth)) AS eta,
      ${personYear('dsu')} < 0.85 AS isee_known,
      if(isee_base = 0, 0., round(isee_base * exp(0.15 * ${normalSql('isee_year', 'pid', 'anno')}), 2)) AS isee_value,
      toUInt32(1 + least(${MAX_BENEFITS - 1}, floor(log(1 - ${personYear('count')}) / log(intensity)))) AS benefits
    FROM (
      SELECT *,
        ${person('group')} AS ug,
        ${person('age')} AS ua,
        toInt32(multiIf(ug < ${MINORS}, floor(ua * 18), ug < ${ADULTS_CUM}, 18 + floor(ua * 47), least(100, 65 + floor(pow(ua, 1.3) * 36)))) AS age2021,
        2021 - age2021 AS birth,
        toUInt8(if(${person('genere')} < multiIf(age2021 < 18, 0.49, age2021 < 65, 0.55, 0.63), 2, 1)) AS genere,
        ${person('spell')} AS us,
        toInt32(if(us < ${IN_STOCK}, ${YEARS[0]}, ${YEARS[0] + 1} + floor((us - ${IN_STOCK}) / ${1 - IN_STOCK} * 4))) AS first_year,
        toInt32(first_year + floor(log(1 - ${person('duration')}) / log(${1 - EXIT}))) AS last_year,
        ${INTENSITY[0]} + ${INTENSITY[1] - INTENSITY[0]} * ${person('intensity')} AS intensity,
        ${person('presa')} AS upic,
        ${person('main')} AS umain,
        if(${person('isee_zero')} < 0.06, 0., 7000 * exp(0.85 * ${normalSql('isee', 'pid')})) AS isee_base
      FROM (
        SELECT t.comune AS comune, t.ats AS ats, t.regione AS regione, t.popolazione_comune AS popolazione_comune,
               transform(t.ats, {atsCodes:Array(String)}, {atsMain:Array(String)}, t.comune) AS main_comune,
               cityHash64({seed:UInt64}, t.comune, i) AS pid
        FROM ${engine.table('territorio')} AS t
        ARRAY JOIN range(toUInt32(floor(t.popolazione_comune * {rate:Float64} * ${comuneFactorSql} + ${U('people', 't.comune')}))) AS i
        WHERE ${comuneStartSql} <= {year:UInt16}
      )
    )
    WHERE first_year <= anno AND anno <= last_year AND birth <= anno
  )
  ARRAY JOIN range(benefits) AS j
) AS b
LEFT JOIN ${engine.table('enti')} AS e ON e.ente = b.ente
SETTINGS join_use_nulls = 0`;
}

export interface GenerateOptions {
  /** Target number of records (the result is within a few percent). */
  rows: number;
  seed: number;
  log: (line: string) => void;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1).replace('.', ',')} s`;

/** The people rate (people per resident per unit of propensity) that yields about `rows` records. */
async function peopleRate(engine: Engine, rows: number, seed: number): Promise<number> {
  const weights = await engine.query<{ anno: number; w: number }>(
    `SELECT anno, sum(t.popolazione_comune * ${comuneFactorSql}) AS w
     FROM ${engine.table('territorio')} AS t ARRAY JOIN {years:Array(UInt16)} AS anno
     WHERE ${comuneStartSql} <= anno GROUP BY anno`,
    { seed, years: [...YEARS] },
  );
  const presence = presenceByYear();
  const perUnit = YEARS.reduce((acc, y, yi) => acc + Number(weights.find((w) => Number(w.anno) === y)?.w ?? 0) * presence[yi], 0) * benefitsPerYear();
  if (!(perUnit > 0)) throw new Error('territorio è vuoto: caricare prima i dati di riferimento');
  return rows / perUnit;
}

/** Generates about `rows` records (within a few percent), one year at a time with a progress line each; returns the rows written. */
export async function generateBenefits(engine: Engine, o: GenerateOptions): Promise<number> {
  const T = engine.table('territorio');
  const main = await engine.query<{ ats: string; comune: string }>(`SELECT ats, argMax(comune, (popolazione_comune, comune)) AS comune FROM ${T} GROUP BY ats ORDER BY ats`);
  const regions = Object.keys(ASSOCIATED_SHARE).sort();
  const codeCum: number[][] = [];
  for (let yi = 0; yi < YEARS.length; yi++)
    for (let band = 0; band < AGE_BANDS.length; band++) for (const genere of [1, 2] as const) codeCum.push(cumulative(codeWeights(yi, band, genere)));
  const params = {
    seed: o.seed,
    rate: await peopleRate(engine, o.rows, o.seed),
    codes: CODES.map((c) => c.code),
    codeCum,
    medians: CODES.map((c) => c.median),
    sigmas: CODES.map((c) => c.sigma),
    periodic: CODES.map((c) => c.periodic),
    pic: CODES.map((c) => c.takenInCharge),
    areaCum: CODES.map((c) => cumulative(c.area)),
    meansCum: CODES.map((c) => cumulative(c.meansTest)),
    inps: CODES.map((c) => (c.inps ? 1 : 0)),
    associated: CODES.map((c) => c.associated ?? 1),
    health: CODES.map((c) => (c.health ? 1 : 0)),
    regions,
    assoc: regions.map((r) => ASSOCIATED_SHARE[r]),
    chief: regions.map((r) => CHIEF_TOWNS[r]),
    atsCodes: main.map((m) => m.ats),
    atsMain: main.map((m) => m.comune),
  };
  const sql = benefitsSql(engine);
  let total = 0;
  for (const year of YEARS) {
    const started = performance.now();
    await engine.command(sql, { ...params, year });
    const [{ n }] = await engine.query<{ n: number }>(`SELECT count() AS n FROM ${engine.table('prestazioni')} WHERE anno = {year:UInt16}`, { year });
    total += Number(n);
    o.log(`[dati] prestazioni ${year}: ${Number(n).toLocaleString('it-IT')} righe generate in ${secs(performance.now() - started)} (totale ${total.toLocaleString('it-IT')})`);
  }
  return total;
}
