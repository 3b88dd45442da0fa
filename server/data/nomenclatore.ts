/**
 * The codes of the Nomenclatore degli interventi e servizi sociali used by the
 * demo, with the parameters the generator draws from. Codes and labels with
 * fonte 'PAS' appear in the PAS user guide (seed 000); 'plausibile' ones are
 * invented for the demo and marked as such in the data.
 */
export type AgeGroup = 'minori' | 'adulti' | 'anziani';

export interface CodeSpec {
  code: string;
  name: string;
  fonte: 'PAS' | 'plausibile';
  /** Relative frequency per age group of the beneficiary. */
  weight: Record<AgeGroup, number>;
  /** Median amount of one benefit record, euro, and the log-normal spread. */
  median: number;
  sigma: number;
  /** Probability that the benefit is periodic (CaratterePrestazione 1). */
  periodic: number;
  /** PresenzaProvaMezzi: 1 ISEE-bound, 2 means test not ISEE, 4 none. */
  meansTest: 1 | 2 | 4;
  /** Probability that the beneficiary is taken in charge by the social service. */
  takenInCharge: number;
  /** AreaUtenza when taken in charge: 1 famiglia e minori, 2 disabilità e non autosufficienza, 3 povertà. */
  area: 1 | 2 | 3;
  /** Paid by INPS. */
  inps?: boolean;
}

export const CATEGORIES = [
  { code: 'A1', name: 'Contributi economici', fonte: 'plausibile' },
  { code: 'A2', name: 'Interventi e servizi alla persona e agevolazioni', fonte: 'plausibile' },
  { code: 'A3', name: 'Strutture residenziali e semiresidenziali', fonte: 'plausibile' },
] as const;

const w = (minori: number, adulti: number, anziani: number) => ({ minori, adulti, anziani });

export const CODES: readonly CodeSpec[] = [
  { code: 'A1.05.01', name: 'Contributi economici per affitti erogati dai Comuni a valere sulle risorse del Fondo nazionale a sostegno delle locazioni', fonte: 'PAS', weight: w(0, 6, 3), median: 900, sigma: 0.5, periodic: 0.3, meansTest: 1, takenInCharge: 0.15, area: 3 },
  { code: 'A1.06', name: 'Buoni spesa o buoni pasto', fonte: 'PAS', weight: w(1, 10, 5), median: 150, sigma: 0.6, periodic: 0.2, meansTest: 1, takenInCharge: 0.35, area: 3 },
  { code: 'A1.06.01', name: 'Buoni spesa Covid-19 dei comuni', fonte: 'PAS', weight: w(0, 6, 3), median: 200, sigma: 0.5, periodic: 0.05, meansTest: 1, takenInCharge: 0.25, area: 3 },
  { code: 'A1.08', name: 'Contributi e integrazioni a rette per servizi integrativi o innovativi per la prima infanzia', fonte: 'PAS', weight: w(8, 0, 0), median: 600, sigma: 0.5, periodic: 0.8, meansTest: 1, takenInCharge: 0.2, area: 1 },
  { code: 'A1.09', name: 'Contributi economici per i servizi scolastici', fonte: 'PAS', weight: w(14, 0, 0), median: 180, sigma: 0.6, periodic: 0.5, meansTest: 1, takenInCharge: 0.15, area: 1 },
  { code: 'A1.12', name: 'Contributi e integrazioni a rette per accesso a centri Diurni', fonte: 'PAS', weight: w(0, 2, 3), median: 1500, sigma: 0.6, periodic: 0.9, meansTest: 1, takenInCharge: 0.8, area: 2 },
  { code: 'A1.20', name: 'Buono vacanze', fonte: 'PAS', weight: w(3, 0, 1), median: 250, sigma: 0.4, periodic: 0.05, meansTest: 1, takenInCharge: 0.1, area: 1 },
  { code: 'A1.23', name: "Contributi economici per l'accoglienza di adulti e anziani", fonte: 'PAS', weight: w(0, 1, 3), median: 1200, sigma: 0.7, periodic: 0.7, meansTest: 1, takenInCharge: 0.7, area: 2 },
  { code: 'A1.30', name: 'Contributo economico una tantum per nuclei in difficoltà', fonte: 'plausibile', weight: w(0, 8, 3), median: 400, sigma: 0.7, periodic: 0.05, meansTest: 1, takenInCharge: 0.6, area: 3 },
  { code: 'A1.40', name: 'Assegno di cura per persone non autosufficienti', fonte: 'plausibile', weight: w(0, 2, 8), median: 2400, sigma: 0.5, periodic: 0.95, meansTest: 1, takenInCharge: 0.9, area: 2 },
  { code: 'A1.50', name: 'Assegno per il nucleo familiare erogato da INPS', fonte: 'plausibile', weight: w(6, 5, 0), median: 1300, sigma: 0.6, periodic: 0.95, meansTest: 2, takenInCharge: 0.05, area: 1, inps: true },
  { code: 'A1.51', name: 'Indennità di accompagnamento erogata da INPS', fonte: 'plausibile', weight: w(1, 2, 9), median: 6200, sigma: 0.15, periodic: 1, meansTest: 4, takenInCharge: 0.1, area: 2, inps: true },
  { code: 'A2.01', name: 'Mensa sociale', fonte: 'PAS', weight: w(0, 3, 3), median: 600, sigma: 0.6, periodic: 0.9, meansTest: 1, takenInCharge: 0.95, area: 3 },
  { code: 'A2.05', name: 'Agevolazioni per i servizi di pubblica utilità (telefono, luce, gas)', fonte: 'PAS', weight: w(0, 7, 6), median: 120, sigma: 0.5, periodic: 0.3, meansTest: 1, takenInCharge: 0.9, area: 3 },
  { code: 'A2.06', name: 'Agevolazioni tributarie comunali (nettezza urbana, ecc.)', fonte: 'PAS', weight: w(0, 4, 5), median: 140, sigma: 0.5, periodic: 0.2, meansTest: 1, takenInCharge: 0.9, area: 3 },
  { code: 'A2.07', name: 'Assistenza domiciliare socio-assistenziale', fonte: 'PAS', weight: w(0, 2, 10), median: 1800, sigma: 0.8, periodic: 0.95, meansTest: 1, takenInCharge: 1, area: 2 },
  { code: 'A2.08', name: 'A.D.I. - Assistenza domiciliare integrata con servizi Sanitari', fonte: 'PAS', weight: w(0, 1, 6), median: 2500, sigma: 0.7, periodic: 0.95, meansTest: 4, takenInCharge: 1, area: 2 },
  { code: 'A2.09', name: "Supporto all'inserimento lavorativo", fonte: 'PAS', weight: w(0, 4, 0), median: 1400, sigma: 0.6, periodic: 0.7, meansTest: 4, takenInCharge: 0.6, area: 3 },
  { code: 'A2.11', name: 'Sostegno socio-educativo scolastico', fonte: 'PAS', weight: w(9, 0, 0), median: 2200, sigma: 0.7, periodic: 0.95, meansTest: 4, takenInCharge: 0.6, area: 1 },
  { code: 'A2.20', name: 'Trasporto sociale', fonte: 'plausibile', weight: w(1, 2, 4), median: 350, sigma: 0.6, periodic: 0.8, meansTest: 1, takenInCharge: 0.8, area: 2 },
  { code: 'A3.01', name: 'Integrazione retta per struttura residenziale per anziani', fonte: 'plausibile', weight: w(0, 0, 3), median: 7000, sigma: 0.5, periodic: 1, meansTest: 1, takenInCharge: 1, area: 2 },
  { code: 'A3.02', name: 'Asilo nido comunale (quota a carico del Comune)', fonte: 'plausibile', weight: w(7, 0, 0), median: 3500, sigma: 0.4, periodic: 1, meansTest: 1, takenInCharge: 0.05, area: 1 },
  { code: 'A3.03', name: 'Comunità di accoglienza per minori', fonte: 'plausibile', weight: w(1, 0, 0), median: 25000, sigma: 0.5, periodic: 1, meansTest: 4, takenInCharge: 1, area: 1 },
];

export function categoryOf(code: string): string {
  return code.split('.')[0];
}

export function nomenclatoreRows() {
  return CODES.map((c) => {
    const cat = CATEGORIES.find((k) => k.code === categoryOf(c.code))!;
    return { codice_prestazione: c.code, prestazione_nome: c.name, categoria: cat.code, categoria_nome: cat.name, fonte: c.fonte };
  });
}
