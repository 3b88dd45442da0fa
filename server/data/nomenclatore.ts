/**
 * The codes of the Nomenclatore degli interventi e servizi sociali used by the
 * demo, with the parameters the generator draws from (those stay in
 * TypeScript: only code, label and category go to the `nomenclatore` table).
 *
 * Codes and labels with fonte 'PAS' appear, exactly so, in the PAS user guide
 * (seed 000, "Confronto Prestazioni"); 'plausibile' ones are invented for the
 * demo and marked as such in the data. All generator parameters are invented.
 */
import type { Engine } from '../engine/client.ts';

/** Age bands of the generator: the upper bound (exclusive) of each band; the last is open. */
export const AGE_BANDS = [3, 6, 11, 14, 18, 25, 45, 65, 80, 999] as const;
export const AGE_BAND_LABELS = ['0-2', '3-5', '6-10', '11-13', '14-17', '18-24', '25-44', '45-64', '65-79', '80+'] as const;
/** Years of the demo benefit records. */
export const YEARS = [2019, 2020, 2021, 2022, 2023] as const;

type Ten = readonly [number, number, number, number, number, number, number, number, number, number];
type Five = readonly [number, number, number, number, number];

export interface CodeSpec {
  code: string;
  name: string;
  fonte: 'PAS' | 'plausibile';
  /** Relative frequency among beneficiaries of the ages it suits best. */
  frequency: number;
  /** Suitability by age band (AGE_BANDS), 0..1: who receives it (e.g. asili nido 0-2, ADI the old). */
  ages: Ten;
  /** Weight by year 2019..2023 (default all 1): e.g. the Covid-19 food vouchers of 2020-2021. */
  years?: Five;
  /** Weight for men relative to women (default 1; 0 for the maternity allowance). */
  male?: number;
  /** Median amount of one benefit record, euro (periodic records), and the log-normal spread (sigma). */
  median: number;
  sigma: number;
  /** Probability that the record is periodic (CaratterePrestazione 1), else occasional (2). */
  periodic: number;
  /** PresenzaProvaMezzi distribution [1 ISEE-bound, 2 means test not ISEE, 3 ISEE-bound but exempt, 4 none]. */
  meansTest: readonly [number, number, number, number];
  /** Probability that the beneficiary is taken in charge by the professional social service. */
  takenInCharge: number;
  /** AreaUtenza when taken in charge: [1 famiglia e minori, 2 disabilità e non autosufficienza, 3 povertà ed esclusione]. */
  area: readonly [number, number, number];
  /** Granted by the Comune but paid (and sent) by INPS: the ente is INPS. */
  inps?: boolean;
  /** How much more (or less) often than the regional norm an ATS or another body delivers it (default 1). */
  associated?: number;
  /** A health-related service: when another body delivers it, it is the ASL. */
  health?: boolean;
}

export const CATEGORIES = [
  { code: 'A1', name: 'Contributi economici', fonte: 'PAS' },
  { code: 'A2', name: 'Interventi e servizi alla persona e agevolazioni', fonte: 'plausibile' },
  { code: 'A3', name: 'Strutture e servizi residenziali e semiresidenziali', fonte: 'plausibile' },
] as const;

//                    0-2 3-5 6-10 11-13 14-17 18-24 25-44 45-64 65-79 80+
const ADULTS: Ten = [0, 0, 0, 0, 0, 0.6, 1, 1, 0.7, 0.4];
const HOUSEHOLDS: Ten = [0.1, 0.1, 0.1, 0.1, 0.1, 0.7, 1, 1, 0.8, 0.6];
const OLD: Ten = [0, 0, 0, 0.02, 0.02, 0.05, 0.1, 0.3, 0.8, 1];
const ALL_P = [1, 0, 0, 0] as const;
const NONE_P = [0, 0, 0, 1] as const;

export const CODES: readonly CodeSpec[] = [
  // A1 Contributi economici
  { code: 'A1.05.01', name: 'Contributi economici per affitti erogati dai Comuni a valere sulle risorse del Fondo nazionale a sostegno delle locazioni', fonte: 'PAS',
    frequency: 5, ages: ADULTS, median: 1000, sigma: 0.5, periodic: 0.2, meansTest: [0.95, 0, 0.05, 0], takenInCharge: 0.15, area: [0.3, 0, 0.7] },
  { code: 'A1.06', name: 'Buoni spesa o buoni pasto', fonte: 'PAS',
    frequency: 8, ages: HOUSEHOLDS, median: 150, sigma: 0.6, periodic: 0.2, meansTest: [0.85, 0, 0.1, 0.05], takenInCharge: 0.35, area: [0.25, 0.05, 0.7] },
  { code: 'A1.06.01', name: 'Buoni spesa Covid-19 dei comuni', fonte: 'PAS', years: [0, 1, 0.6, 0.05, 0],
    frequency: 14, ages: HOUSEHOLDS, median: 200, sigma: 0.5, periodic: 0.05, meansTest: [0.5, 0, 0.1, 0.4], takenInCharge: 0.25, area: [0.3, 0.05, 0.65] },
  { code: 'A1.08', name: 'Contributi e integrazioni a rette per servizi integrativi o innovativi per la prima infanzia', fonte: 'PAS',
    frequency: 6, ages: [1, 0.3, 0, 0, 0, 0, 0, 0, 0, 0], median: 700, sigma: 0.5, periodic: 0.85, meansTest: [0.95, 0, 0.05, 0], takenInCharge: 0.1, area: [1, 0, 0] },
  { code: 'A1.09', name: 'Contributi economici per i servizi scolastici', fonte: 'PAS',
    frequency: 9, ages: [0, 0.6, 1, 1, 0.7, 0, 0, 0, 0, 0], median: 180, sigma: 0.6, periodic: 0.5, meansTest: [0.9, 0, 0.1, 0], takenInCharge: 0.12, area: [0.95, 0.05, 0] },
  { code: 'A1.12', name: 'Contributi e integrazioni a rette per accesso a centri Diurni', fonte: 'PAS',
    frequency: 3, ages: [0, 0, 0.1, 0.1, 0.2, 0.6, 0.6, 0.6, 0.7, 1], median: 1500, sigma: 0.6, periodic: 0.9, meansTest: [0.9, 0, 0.1, 0], takenInCharge: 0.8, area: [0.05, 0.9, 0.05], associated: 1.3 },
  { code: 'A1.14', name: "Contributi economici per l'affidamento familiare di minori", fonte: 'plausibile',
    frequency: 1.2, ages: [0.6, 0.8, 1, 1, 1, 0.2, 0, 0, 0, 0], median: 3600, sigma: 0.4, periodic: 0.95, meansTest: NONE_P, takenInCharge: 1, area: [1, 0, 0] },
  { code: 'A1.20', name: 'Buono vacanze', fonte: 'PAS',
    frequency: 2, ages: [0, 0.3, 1, 1, 0.7, 0.1, 0.1, 0.1, 0.5, 0.3], median: 250, sigma: 0.4, periodic: 0.05, meansTest: [0.95, 0, 0.05, 0], takenInCharge: 0.1, area: [0.7, 0.2, 0.1] },
  { code: 'A1.23', name: "Contributi economici per l'accoglienza di adulti e anziani", fonte: 'PAS',
    frequency: 2, ages: [0, 0, 0, 0, 0, 0.3, 0.4, 0.5, 0.8, 1], median: 1200, sigma: 0.7, periodic: 0.7, meansTest: [0.9, 0, 0.1, 0], takenInCharge: 0.7, area: [0, 0.6, 0.4] },
  { code: 'A1.30', name: 'Contributo economico una tantum per nuclei in difficoltà', fonte: 'plausibile',
    frequency: 7, ages: ADULTS, median: 400, sigma: 0.7, periodic: 0.05, meansTest: [0.9, 0, 0.05, 0.05], takenInCharge: 0.6, area: [0.35, 0, 0.65] },
  { code: 'A1.40', name: 'Assegno di cura per persone non autosufficienti', fonte: 'plausibile',
    frequency: 5, ages: [0, 0, 0.05, 0.05, 0.05, 0.1, 0.15, 0.3, 0.7, 1], median: 2400, sigma: 0.5, periodic: 0.95, meansTest: [0.9, 0, 0.1, 0], takenInCharge: 0.9, area: [0, 1, 0], associated: 1.3 },
  { code: 'A1.50', name: 'Assegno ai nuclei familiari con almeno tre figli minori (concesso dal Comune, pagato da INPS)', fonte: 'plausibile', inps: true, years: [1, 1, 1, 0.2, 0],
    frequency: 3, ages: [0, 0, 0, 0, 0, 0.4, 1, 0.5, 0, 0], median: 1850, sigma: 0.2, periodic: 1, meansTest: ALL_P, takenInCharge: 0.03, area: [1, 0, 0] },
  { code: 'A1.51', name: 'Indennità di accompagnamento (INPS)', fonte: 'plausibile', inps: true,
    frequency: 7, ages: [0.05, 0.05, 0.05, 0.05, 0.05, 0.1, 0.1, 0.2, 0.6, 1], median: 6300, sigma: 0.1, periodic: 1, meansTest: NONE_P, takenInCharge: 0.1, area: [0, 1, 0] },
  { code: 'A1.52', name: 'Assegno di maternità di base (concesso dal Comune, pagato da INPS)', fonte: 'plausibile', inps: true, male: 0,
    frequency: 2, ages: [0, 0, 0, 0, 0, 0.6, 1, 0.05, 0, 0], median: 1700, sigma: 0.1, periodic: 0.1, meansTest: ALL_P, takenInCharge: 0.02, area: [1, 0, 0] },
  { code: 'A1.53', name: 'Assegno sociale (INPS)', fonte: 'plausibile', inps: true,
    frequency: 4, ages: [0, 0, 0, 0, 0, 0, 0, 0.02, 1, 1], median: 5900, sigma: 0.25, periodic: 1, meansTest: [0, 1, 0, 0], takenInCharge: 0.03, area: [0, 0, 1] },
  // A2 Interventi e servizi
  { code: 'A2.01', name: 'Mensa sociale', fonte: 'PAS',
    frequency: 3, ages: [0, 0, 0, 0, 0, 0.5, 0.8, 1, 0.9, 0.7], median: 600, sigma: 0.6, periodic: 0.9, meansTest: [0.8, 0, 0.1, 0.1], takenInCharge: 0.95, area: [0, 0.1, 0.9] },
  { code: 'A2.05', name: 'Agevolazioni per i servizi di pubblica utilità (telefono, luce, gas)', fonte: 'PAS',
    frequency: 6, ages: [0, 0, 0, 0, 0, 0.5, 0.9, 1, 1, 0.9], median: 120, sigma: 0.5, periodic: 0.3, meansTest: [0.9, 0, 0.1, 0], takenInCharge: 0.9, area: [0.3, 0.1, 0.6] },
  { code: 'A2.06', name: 'Agevolazioni tributarie comunali (nettezza urbana, ecc.)', fonte: 'PAS',
    frequency: 5, ages: [0, 0, 0, 0, 0, 0.5, 0.9, 1, 1, 0.9], median: 140, sigma: 0.5, periodic: 0.2, meansTest: [0.6, 0.3, 0.1, 0], takenInCharge: 0.9, area: [0.2, 0.2, 0.6] },
  { code: 'A2.07', name: 'Assistenza domiciliare socio-assistenziale', fonte: 'PAS',
    frequency: 6, ages: OLD, median: 1800, sigma: 0.8, periodic: 0.95, meansTest: [0.85, 0, 0.1, 0.05], takenInCharge: 1, area: [0.05, 0.9, 0.05], associated: 1.5 },
  { code: 'A2.08', name: 'A.D.I. - Assistenza domiciliare integrata con servizi Sanitari', fonte: 'PAS',
    frequency: 4, ages: OLD, median: 2500, sigma: 0.7, periodic: 0.95, meansTest: NONE_P, takenInCharge: 1, area: [0, 1, 0], associated: 2, health: true },
  { code: 'A2.09', name: "Supporto all'inserimento lavorativo", fonte: 'PAS',
    frequency: 3, ages: [0, 0, 0, 0, 0.1, 1, 1, 0.6, 0, 0], median: 1400, sigma: 0.6, periodic: 0.7, meansTest: [0.3, 0, 0.1, 0.6], takenInCharge: 0.6, area: [0, 0.4, 0.6] },
  { code: 'A2.11', name: 'Sostegno socio-educativo scolastico', fonte: 'PAS',
    frequency: 5, ages: [0, 0.5, 1, 1, 0.8, 0, 0, 0, 0, 0], median: 2200, sigma: 0.7, periodic: 0.95, meansTest: NONE_P, takenInCharge: 0.6, area: [0.6, 0.4, 0] },
  { code: 'A2.12', name: 'Centri estivi e attività ricreative per minori', fonte: 'plausibile',
    frequency: 4, ages: [0, 0.6, 1, 0.8, 0.2, 0, 0, 0, 0, 0], median: 300, sigma: 0.5, periodic: 0.1, meansTest: [0.9, 0, 0.1, 0], takenInCharge: 0.1, area: [1, 0, 0] },
  { code: 'A2.14', name: 'Telesoccorso e teleassistenza', fonte: 'plausibile',
    frequency: 2, ages: [0, 0, 0, 0, 0, 0, 0, 0.1, 0.6, 1], median: 250, sigma: 0.4, periodic: 1, meansTest: [0.7, 0, 0.1, 0.2], takenInCharge: 0.7, area: [0, 1, 0] },
  { code: 'A2.20', name: 'Trasporto sociale', fonte: 'plausibile',
    frequency: 3, ages: [0, 0.1, 0.3, 0.3, 0.3, 0.5, 0.5, 0.6, 0.8, 1], median: 350, sigma: 0.6, periodic: 0.8, meansTest: [0.7, 0, 0.1, 0.2], takenInCharge: 0.8, area: [0.1, 0.8, 0.1] },
  // A3 Strutture
  { code: 'A3.01', name: 'Integrazione retta per struttura residenziale per anziani', fonte: 'plausibile',
    frequency: 2.5, ages: [0, 0, 0, 0, 0, 0, 0, 0.02, 0.3, 1], median: 7000, sigma: 0.5, periodic: 1, meansTest: [0.9, 0, 0.1, 0], takenInCharge: 1, area: [0, 1, 0] },
  { code: 'A3.02', name: 'Asilo nido comunale (quota a carico del Comune)', fonte: 'plausibile',
    frequency: 6, ages: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0], median: 3500, sigma: 0.4, periodic: 1, meansTest: [0.95, 0, 0.05, 0], takenInCharge: 0.05, area: [1, 0, 0] },
  { code: 'A3.03', name: 'Comunità di accoglienza per minori', fonte: 'plausibile',
    frequency: 0.4, ages: [0.3, 0.5, 0.8, 1, 1, 0, 0, 0, 0, 0], median: 25000, sigma: 0.5, periodic: 1, meansTest: NONE_P, takenInCharge: 1, area: [1, 0, 0] },
  { code: 'A3.04', name: 'Centro diurno per persone con disabilità', fonte: 'plausibile',
    frequency: 1.5, ages: [0, 0, 0.05, 0.1, 0.3, 1, 1, 0.8, 0.2, 0], median: 4500, sigma: 0.5, periodic: 1, meansTest: [0.6, 0, 0.2, 0.2], takenInCharge: 1, area: [0, 1, 0], associated: 1.5 },
];

export function categoryOf(code: string): string {
  return code.split('.')[0];
}

export interface NomenclatoreRow {
  codice_prestazione: string;
  prestazione_nome: string;
  categoria: string;
  categoria_nome: string;
  fonte: 'PAS' | 'plausibile';
}

export function nomenclatoreRows(): NomenclatoreRow[] {
  return CODES.map((c) => {
    const cat = CATEGORIES.find((k) => k.code === categoryOf(c.code));
    if (!cat) throw new Error(`nomenclatore: code ${c.code} has no category`);
    return { codice_prestazione: c.code, prestazione_nome: c.name, categoria: cat.code, categoria_nome: cat.name, fonte: c.fonte };
  });
}

export async function loadNomenclatore(engine: Engine): Promise<number> {
  const rows = nomenclatoreRows();
  await engine.insert('nomenclatore', rows as unknown as Record<string, unknown>[]);
  return rows.length;
}

/**
 * Weights of each code (in CODES order) for a beneficiary of the given age band
 * and gender in the given year: frequency x age suitability x year weight x
 * gender weight.
 */
export function codeWeights(yearIndex: number, band: number, genere: 1 | 2): number[] {
  return CODES.map((c) => c.frequency * c.ages[band] * (c.years?.[yearIndex] ?? 1) * (genere === 1 ? (c.male ?? 1) : 1));
}
