/**
 * The PON Inclusione monitoring sheet laid out like the official one: tables
 * 1A, 1B and 2A with their titles and headings, men (a) / women (b) columns.
 * The XLSX writer and the Excel add-in paint these same rows. Pure.
 */
import { dateText, DEMO_NOTICE } from './caption.ts';
import type { Lang } from './crosstab.ts';
import { gridRow, type GridRow, type RowRole } from './grid.ts';

/** A figure of the sheet as the API gives it. */
export interface PonSheetCell {
  label: string;
  totale: number;
  uomini: number;
  donne: number;
}

export interface PonSheet {
  ats: string;
  /** The ATS's name, when known. */
  ats_nome?: string;
  dia: string;
  fine_periodo: string;
  demo: boolean;
  tabella_1A: { previsti: number; effettivi: number };
  tabella_1B: { totale: PonSheetCell; migranti: PonSheetCell; disabilita: PonSheetCell; status: PonSheetCell[]; eta: PonSheetCell[]; istruzione: PonSheetCell[] };
  tabella_2A: { servizi: PonSheetCell[]; totale: PonSheetCell };
}

export const PON_SHEET_NAME = 'Scheda monitoraggio fisico';
export const PON_TITLE = 'PON Inclusione 2014-2020 - Avviso 3/2016 - Scheda di monitoraggio fisico';
const WIDTH = 4;
const COUNT = '#,##0';

export function ponRows(s: PonSheet, lang: Lang = 'it'): GridRow[] {
  const rows: GridRow[] = [];
  const add = (values: (string | number)[], role: RowRole = 'body') => rows.push(gridRow(WIDTH, values, role, { numFmt: COUNT }));
  const title = (text: string) => (add([], 'blank'), add([text], 'heading'));
  const line = (c: PonSheetCell, strong = false) => add([c.label, c.totale, c.uomini, c.donne], strong ? 'total' : 'body');

  add([PON_TITLE], 'title');
  add([`Ambito territoriale sociale: ${s.ats_nome ? `${s.ats_nome} (${s.ats})` : s.ats}`], 'caption');
  add([`Periodo: dal ${dateText(s.dia)} (data di inizio attività) al ${dateText(s.fine_periodo)}; valori cumulati`], 'caption');
  if (s.demo) add([DEMO_NOTICE[lang]], 'caption');

  title('Punto 4.1 - Sistema di offerta dei servizi sociali');
  title("Tab. 1A - Nuclei, i cui componenti sono senza lavoro, presi in carico nell'ambito dei servizi finanziati dal PON Inclusione (Avviso 3/2016)");
  add(['Indicatore', 'Totali previsti', 'Totali effettivi'], 'header');
  add(['Nuclei familiari', s.tabella_1A.previsti, s.tabella_1A.effettivi]);

  title("Tab. 1B - Destinatari, le cui famiglie sono senza lavoro, presi in carico nell'ambito dei servizi finanziati dal PON Inclusione (Avviso 3/2016)");
  add(['Indicatore', 'Totale', 'Uomini (a)', 'Donne (b)'], 'header');
  line(s.tabella_1B.totale, true);
  line(s.tabella_1B.migranti);
  line(s.tabella_1B.disabilita);
  add(['Status lavorativo (alla sottoscrizione del progetto personalizzato)'], 'group');
  s.tabella_1B.status.forEach((c) => line(c));
  add(["Fascia d'età (alla sottoscrizione del progetto personalizzato)"], 'group');
  s.tabella_1B.eta.forEach((c) => line(c));
  add(['Titolo di studio (alla sottoscrizione del progetto personalizzato)'], 'group');
  s.tabella_1B.istruzione.forEach((c) => line(c));

  title('Punto 4.2 - Interventi socio-educativi e misure di politica attiva per gli utenti dei servizi sociali');
  title('Tab. 2A - Destinatari, le cui famiglie sono senza lavoro, a cui sono stati erogati servizi finanziati dal PON Inclusione (Avviso 3/2016)');
  add(['Tipologia di servizio / intervento', 'Totale', 'Uomini (a)', 'Donne (b)'], 'header');
  s.tabella_2A.servizi.forEach((c) => line(c));
  line(s.tabella_2A.totale, true);
  return rows;
}
