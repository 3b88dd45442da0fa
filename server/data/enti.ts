/**
 * Providers (enti erogatori): every comune ('C' + ISTAT code), the lead body
 * of every ATS ('A' + the ATS code without 'ATS'), INPS, and three other
 * bodies per region ('E' + region + 01 ASL, 02 consortium of comuni, 03 public
 * company of services to the person). The ATS and the other bodies are
 * generated, and their names say so.
 */
import type { Engine } from '../engine/client.ts';
import { chiefTown, type TerritoryRow } from './territory.ts';

export interface EnteRow {
  ente: string;
  ente_nome: string;
  ente_tipo: 'comune' | 'ats' | 'inps' | 'altro';
  sede_comune: string;
  sede_ats: string;
  sede_regione: string;
}

/** Code of the ATS lead body. */
export const atsEnte = (ats: string) => `A${ats.slice(3)}`;
/** Code of the n-th other body (1 ASL, 2 consortium, 3 ASP) of a region. */
export const otherEnte = (regione: string, n: 1 | 2 | 3) => `E${regione}${String(n).padStart(2, '0')}`;

export function buildProviders(territory: readonly TerritoryRow[]): EnteRow[] {
  const enti: EnteRow[] = [];
  const seat = (t: TerritoryRow) => ({ sede_comune: t.comune, sede_ats: t.ats, sede_regione: t.regione });
  const atsMain = new Map<string, TerritoryRow>();
  const regions = new Set<string>();
  for (const t of territory) {
    enti.push({ ente: `C${t.comune}`, ente_nome: `Comune di ${t.comune_nome}`, ente_tipo: 'comune', ...seat(t) });
    if ((atsMain.get(t.ats)?.popolazione_comune ?? -1) < t.popolazione_comune) atsMain.set(t.ats, t);
    regions.add(t.regione);
  }
  for (const [ats, main] of [...atsMain].sort(([a], [b]) => a.localeCompare(b)))
    enti.push({ ente: atsEnte(ats), ente_nome: `Ente capofila Ambito di ${main.comune_nome} (generato)`, ente_tipo: 'ats', ...seat(main) });
  const roma = territory.find((t) => t.comune === '058091');
  if (roma) enti.push({ ente: 'INPS', ente_nome: 'INPS - Istituto Nazionale della Previdenza Sociale', ente_tipo: 'inps', ...seat(roma) });
  for (const regione of [...regions].sort()) {
    const chief = chiefTown(territory, regione);
    // The consortium sits in the largest comune that is not the chief town (a second pole of the region).
    const second = territory.filter((t) => t.regione === regione && t.comune !== chief.comune).reduce<TerritoryRow | undefined>((a, b) => (!a || b.popolazione_comune > a.popolazione_comune ? b : a), undefined) ?? chief;
    enti.push({ ente: otherEnte(regione, 1), ente_nome: `Azienda sanitaria locale di ${chief.comune_nome} (generato)`, ente_tipo: 'altro', ...seat(chief) });
    enti.push({ ente: otherEnte(regione, 2), ente_nome: `Consorzio intercomunale dei servizi sociali di ${second.comune_nome} (generato)`, ente_tipo: 'altro', ...seat(second) });
    enti.push({ ente: otherEnte(regione, 3), ente_nome: `Azienda pubblica di servizi alla persona di ${chief.comune_nome} (generato)`, ente_tipo: 'altro', ...seat(chief) });
  }
  return enti;
}

export async function loadProviders(engine: Engine, territory: readonly TerritoryRow[]): Promise<number> {
  const rows = buildProviders(territory);
  await engine.insert('enti', rows as unknown as Record<string, unknown>[]);
  return rows.length;
}
