/**
 * Generated PON Inclusione (Avviso 3/2016) microdata for every demo ATS:
 * one project per ATS (DIA in 2017-2018, target households), SIA/REI
 * households of its comuni with their members, the employment / education
 * record in force at signing (sometimes changing later), and services planned
 * and (mostly) delivered. Deterministic for a seed.
 */
import type { Engine } from '../engine/client.ts';
import { mulberry32 } from './random.ts';
import type { TerritoryRow } from './territory.ts';

const iso = (d: Date) => d.toISOString().slice(0, 10);
const addDays = (day: string, n: number) => iso(new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000));

export interface PonRows {
  progetti: Record<string, unknown>[];
  nuclei: Record<string, unknown>[];
  componenti: Record<string, unknown>[];
  condizioni: Record<string, unknown>[];
  servizi: Record<string, unknown>[];
}

export function buildPon(territory: readonly TerritoryRow[], seed: number): PonRows {
  const random = mulberry32(seed * 104729 + 7);
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  const chance = (p: number) => random() < p;
  const byAts = new Map<string, TerritoryRow[]>();
  for (const t of territory) byAts.set(t.ats, [...(byAts.get(t.ats) ?? []), t]);
  const out: PonRows = { progetti: [], nuclei: [], componenti: [], condizioni: [], servizi: [] };

  for (const [ats, comuni] of [...byAts].sort(([a], [b]) => a.localeCompare(b))) {
    const population = comuni.reduce((s, c) => s + c.popolazione_comune, 0);
    const dia = addDays('2017-09-01', Math.floor(random() * 300));
    const expected = Math.max(5, Math.round((population / 10_000) * (2 + random() * 3)));
    out.progetti.push({ ats, dia, nuclei_previsti: expected });
    const households = Math.max(3, Math.round(expected * (0.6 + random() * 0.6)));
    for (let h = 0; h < households; h++) {
      const nucleo_id = `N${ats.slice(3)}${String(h + 1).padStart(4, '0')}`;
      const comune = pick(comuni).comune;
      // Some projects were signed before the DIA (earlier programmes) and some after the usual reporting dates.
      const signed = addDays(dia, Math.floor(random() * 900) - 60);
      out.nuclei.push({ nucleo_id, ats, comune, data_sottoscrizione: signed });
      const foreign = chance(0.18);
      const size = 1 + Math.floor(random() * 5);
      const adults = Math.min(size, 1 + (chance(0.55) ? 1 : 0));
      for (let m = 0; m < size; m++) {
        const componente_id = `${nucleo_id}-${m + 1}`;
        const isAdult = m < adults || (m >= adults && chance(0.1));
        // Adults of every age up to 84: with DIAs in 2017-2018 the oldest were born in the 1930s (Date32 holds them).
        const age = isAdult ? 18 + Math.floor(random() * 67) : Math.floor(random() * 18);
        const birth = addDays(signed, -Math.floor(age * 365.25 + random() * 365));
        const genere = m === 0 ? (chance(0.55) ? 2 : 1) : chance(0.5) ? 1 : 2;
        const destinatario = isAdult ? m === 0 || chance(0.6) : chance(0.45);
        out.componenti.push({ componente_id, nucleo_id, ats, data_nascita: birth, genere, straniero: foreign || chance(0.03), minoranza: chance(0.02), disabilita: chance(0.07), destinatario });
        // Employment and education at signing: mostly without work (SIA/REI households); a few households have an employed member.
        const realAge = Math.floor((Date.parse(signed) - Date.parse(birth)) / (365.25 * 86_400_000));
        let condizione: string;
        // Income only for workers (employees, self-employed): empty for everybody else.
        let reddito: number | null = null;
        if (realAge < 16) condizione = realAge < 6 ? 'inattivo' : 'studente';
        else if (realAge >= 67) condizione = chance(0.8) ? 'pensionato' : 'inattivo';
        else {
          const r = random();
          if (r < 0.5) condizione = 'disoccupato';
          else if (r < 0.7) condizione = realAge < 25 ? 'studente' : 'inattivo';
          else if (r < 0.85) (condizione = 'dipendente'), (reddito = Math.round(random() * 11_000));
          else (condizione = 'autonomo'), (reddito = Math.round(random() * 7_000));
        }
        const isced = realAge < 6 ? '0' : realAge < 11 ? '1' : realAge < 14 ? (chance(0.5) ? '1' : '2') : pick(['nessuno', '1', '2', '2', '2', '3', '3', '4', '6']);
        out.condizioni.push({ componente_id, ats, dal: addDays(birth, 0), condizione, reddito_annuo: reddito, isced });
        if (realAge >= 16 && chance(0.15)) {
          // The situation changes after signing: it must not change the sheet.
          out.condizioni.push({ componente_id, ats, dal: addDays(signed, 30 + Math.floor(random() * 300)), condizione: 'dipendente', reddito_annuo: 12_000 + Math.round(random() * 10_000), isced });
        }
        if (!destinatario) continue;
        const services = 1 + Math.floor(random() * 3);
        for (let s = 0; s < services; s++) {
          const tipo = realAge < 16 ? (chance(0.85) ? 1 : 4) : pick([2, 2, 3, 1, 4]);
          const planned = addDays(signed, 7 + Math.floor(random() * 200));
          const delivered = chance(0.8) ? addDays(planned, Math.floor(random() * 60)) : null;
          out.servizi.push({ componente_id, ats, tipo, descrizione: tipo === 4 ? 'Supporto abitativo' : '', data_prevista: planned, data_erogazione: delivered });
        }
      }
    }
  }
  return out;
}

export async function loadPon(engine: Engine, territory: readonly TerritoryRow[], seed: number): Promise<number> {
  const rows = buildPon(territory, seed);
  await engine.insert('pon_progetti', rows.progetti);
  await engine.insert('pon_nuclei', rows.nuclei);
  await engine.insert('pon_componenti', rows.componenti);
  await engine.insert('pon_condizioni', rows.condizioni);
  await engine.insert('pon_servizi', rows.servizi);
  return rows.nuclei.length;
}
