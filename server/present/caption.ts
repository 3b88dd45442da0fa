/**
 * The caption and notes block every export and the Excel add-in put above and
 * below a table: title, territory, filters, data date and version, demo
 * notice, truncation; the disclosure footnote. One wording, one date format.
 * Pure: no I/O, no Node modules.
 */
import type { Lang } from './crosstab.ts';

export interface CaptionSource {
  /** Territory (or ente) the figures are about, when not the caller's whole scope. */
  territory?: { code: string; name: string } | null;
  filters: readonly string[];
  /** When the data were last loaded (ISO 8601), '' when unknown. */
  dataDate: string;
  dataVersion?: string;
  demo: boolean;
  truncated?: boolean;
  /** Present when the figures carry the noise of the cell key method. */
  perturbation?: { maxNoise: number };
}

const WORDS = {
  it: { filter: 'Filtro', asOf: 'Dati aggiornati al', version: 'versione', demo: 'Dati dimostrativi generati, non reali', truncated: 'Risultato troncato: aumentare il limite o aggiungere filtri', unknown: 'n.d.' },
  en: { filter: 'Filter', asOf: 'Data as of', version: 'version', demo: 'Generated demo data, not real', truncated: 'Result truncated: raise the limit or add filters', unknown: 'n.a.' },
} as const;

export const DEMO_NOTICE: Record<Lang, string> = { it: WORDS.it.demo, en: WORDS.en.demo };

/** A date as Italians write it, day/month/year with four digits: 2026-12-02 -> 02/12/2026. */
export function dateText(isoDate: string): string {
  const [y, m, d] = isoDate.slice(0, 10).split('-');
  return `${d}/${m}/${y}`;
}

/** A moment in Rome's time zone: 02/12/2026, 03:16. The same text in every caption, whatever the language. */
export function dateTimeText(iso: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('it-IT', { timeZone: 'Europe/Rome', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.day}/${parts.month}/${parts.year}, ${parts.hour}:${parts.minute}`;
}

/** The lines under the title. */
export function captionLines(c: CaptionSource, lang: Lang = 'it'): string[] {
  const w = WORDS[lang];
  const date = c.dataDate ? dateTimeText(c.dataDate) : w.unknown;
  return [
    ...(c.territory ? [`${c.territory.name} (${c.territory.code})`] : []),
    ...c.filters.map((f) => `${w.filter}: ${f}`),
    `${w.asOf} ${date}${c.dataVersion ? ` (${w.version} ${c.dataVersion})` : ''}`,
    ...(c.demo ? [w.demo] : []),
    ...(c.truncated ? [w.truncated] : []),
    ...(c.perturbation ? [perturbationNote(c.perturbation, lang)] : []),
  ];
}

/** The note every protected answer carries: figures are perturbed, cells and totals each on their own. */
export function perturbationNote(p: { maxNoise: number }, lang: Lang = 'it'): string {
  return lang === 'en'
    ? `Confidentiality: counts and amounts carry a small random deviation (cell key method: counts move by at most ${p.maxNoise}, never published as 1 or 2); each cell, subtotal and total is protected on its own, so totals may differ from the sum of their cells by a few units.`
    : `Riservatezza: conteggi e importi hanno un piccolo scarto casuale (metodo della chiave di cella: i conteggi si spostano al più di ${p.maxNoise} e non valgono mai 1 o 2); ogni cella, subtotale e totale è protetto da sé, quindi un totale può differire di qualche unità dalla somma delle sue celle.`;
}

/** The footnote under a table with cells hidden by disclosure control. */
export function suppressionNote(mark: string, threshold: number, lang: Lang = 'it'): string {
  return lang === 'en'
    ? `${mark} = not available to protect confidentiality (cells with fewer than ${threshold} beneficiaries and complementary cells).`
    : `${mark} = dato non disponibile per tutela della riservatezza (celle con meno di ${threshold} beneficiari e celle complementari).`;
}
