/**
 * Reference tables: territory (real comuni, generated ATS), estimated
 * population by age and gender, providers (enti erogatori), nomenclatore.
 */
import type { Engine } from '../engine/client.ts';
import { nomenclatoreRows } from './nomenclatore.ts';
import { buildTerritory, type TerritoryRow } from './territory.ts';

/**
 * Italy's age pyramid (about 2020, ISTAT), share of residents per 5-year group
 * from 0-4 to 95-99 and 100+, and the share of men in each group.
 */
const PYRAMID_5Y = [3.9, 4.5, 4.8, 4.8, 5.0, 5.3, 5.6, 6.2, 7.3, 8.0, 8.1, 7.5, 6.5, 5.9, 5.4, 4.4, 3.7, 2.3, 1.0, 0.25, 0.02];
const MALE_SHARE = (age: number) => (age < 40 ? 0.513 : age < 65 ? 0.49 : age < 80 ? 0.47 : age < 90 ? 0.39 : 0.27);

/** Cumulative share of the population over the cells (eta 0..100) x (genere 1, 2), in that order. */
export function cumulativeCellShares(): number[] {
  const perYear: number[] = [];
  for (let age = 0; age <= 100; age++) perYear.push(age === 100 ? PYRAMID_5Y[20] : PYRAMID_5Y[Math.floor(age / 5)] / 5);
  const total = perYear.reduce((a, b) => a + b, 0);
  const cumulative: number[] = [];
  let acc = 0;
  for (let age = 0; age <= 100; age++) {
    const share = perYear[age] / total;
    acc += share * MALE_SHARE(age);
    cumulative.push(acc);
    acc += share * (1 - MALE_SHARE(age));
    cumulative.push(acc);
  }
  cumulative[cumulative.length - 1] = 1;
  return cumulative;
}

export async function loadTerritory(engine: Engine, seed: number): Promise<TerritoryRow[]> {
  const rows = buildTerritory(seed);
  await engine.insert('territorio', rows as unknown as Record<string, unknown>[]);
  return rows;
}

/**
 * Residents per comune x age x gender. Each cell is the difference of the
 * rounded cumulative counts, so the cells of a comune add up exactly to its
 * census total.
 */
export async function loadPopulation(engine: Engine): Promise<void> {
  await engine.command(
    `INSERT INTO ${engine.table('popolazione')} (comune, ats, regione, popolazione_comune, eta, genere, residenti)
     SELECT comune, ats, regione, popolazione_comune, intDiv(cell, 2) AS eta, toUInt8(cell % 2 + 1) AS genere,
            toUInt32(round(popolazione_comune * {shares:Array(Float64)}[cell + 1]) - if(cell = 0, 0, round(popolazione_comune * {shares:Array(Float64)}[cell]))) AS residenti
     FROM ${engine.table('territorio')}
     ARRAY JOIN range(202) AS cell`,
    { shares: cumulativeCellShares() },
  );
}

/** Providers: every comune, every ATS, INPS and three other bodies per region (ASL, consortium, public service company). */
export function buildProviders(territory: readonly TerritoryRow[]) {
  const enti: { ente: string; ente_nome: string; ente_tipo: string; sede_comune: string; sede_ats: string; sede_regione: string }[] = [];
  const atsMain = new Map<string, TerritoryRow>();
  const regionMain = new Map<string, TerritoryRow>();
  for (const t of territory) {
    enti.push({ ente: `C${t.comune}`, ente_nome: `Comune di ${t.comune_nome}`, ente_tipo: 'comune', sede_comune: t.comune, sede_ats: t.ats, sede_regione: t.regione });
    if ((atsMain.get(t.ats)?.popolazione_comune ?? -1) < t.popolazione_comune) atsMain.set(t.ats, t);
    if ((regionMain.get(t.regione)?.popolazione_comune ?? -1) < t.popolazione_comune) regionMain.set(t.regione, t);
  }
  for (const [ats, main] of atsMain)
    enti.push({ ente: `A${ats.slice(3)}`, ente_nome: main.ats_nome.replace('Ambito di', 'Ente capofila Ambito di'), ente_tipo: 'ats', sede_comune: main.comune, sede_ats: ats, sede_regione: main.regione });
  const roma = territory.find((t) => t.comune === '058091')!;
  enti.push({ ente: 'INPS', ente_nome: 'INPS - Istituto Nazionale della Previdenza Sociale', ente_tipo: 'inps', sede_comune: roma.comune, sede_ats: roma.ats, sede_regione: roma.regione });
  const kinds = ['Azienda sanitaria locale', 'Consorzio intercomunale dei servizi sociali', 'Azienda pubblica di servizi alla persona'];
  for (const [regione, main] of regionMain)
    kinds.forEach((kind, i) =>
      enti.push({ ente: `E${regione}${String(i + 1).padStart(2, '0')}`, ente_nome: `${kind} di ${main.comune_nome} (generato)`, ente_tipo: 'altro', sede_comune: main.comune, sede_ats: main.ats, sede_regione: regione }),
    );
  return enti;
}

export async function loadProviders(engine: Engine, territory: readonly TerritoryRow[]): Promise<number> {
  const rows = buildProviders(territory);
  await engine.insert('enti', rows);
  return rows.length;
}

export async function loadNomenclatore(engine: Engine): Promise<number> {
  const rows = nomenclatoreRows();
  await engine.insert('nomenclatore', rows);
  return rows.length;
}
