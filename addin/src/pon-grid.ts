/** The PON sheet laid out for the workbook, like the official sheet: tables 1A, 1B, 2A with men (a) / women (b). */
import type { Grid } from '../../server/present/grid.ts';
import type { PonCell, PonScheda } from './api.ts';
import type { Lang } from './i18n.ts';

export function ponGrid(s: PonScheda, lang: Lang): { grid: Pick<Grid, 'values' | 'formats' | 'bold' | 'width'>; dataDate: string } {
  const values: (string | number | null)[][] = [];
  const bold: boolean[] = [];
  const add = (row: (string | number | null)[], b = false) => {
    values.push([...row, ...Array(4 - row.length).fill(null)]);
    bold.push(b);
  };
  const cell = (c: PonCell, b = false) => add([c.label, c.totale, c.uomini, c.donne], b);
  const en = lang === 'en';
  add(['PON Inclusione 2014-2020 - Avviso 3/2016 - Scheda di monitoraggio fisico'], true);
  add([`ATS ${s.ats}: ${s.dia} - ${s.fine_periodo}`]);
  if (s.demo) add([en ? 'Generated demo data, not real' : 'Dati dimostrativi generati, non reali']);
  add(["Tab. 1A - Nuclei, i cui componenti sono senza lavoro, presi in carico nell'ambito dei servizi finanziati dal PON Inclusione (Avviso 3/2016)"], true);
  add(['Indicatore', 'Totali previsti', 'Totali effettivi'], true);
  add(['Nuclei familiari', s.tabella_1A.previsti, s.tabella_1A.effettivi]);
  add(["Tab. 1B - Destinatari, le cui famiglie sono senza lavoro, presi in carico nell'ambito dei servizi finanziati dal PON Inclusione (Avviso 3/2016)"], true);
  add(['Indicatore', 'Totale', 'Uomini (a)', 'Donne (b)'], true);
  cell(s.tabella_1B.totale, true);
  cell(s.tabella_1B.migranti);
  cell(s.tabella_1B.disabilita);
  [...s.tabella_1B.status, ...s.tabella_1B.eta, ...s.tabella_1B.istruzione].forEach((c) => cell(c));
  add(['Tab. 2A - Destinatari, le cui famiglie sono senza lavoro, a cui sono stati erogati servizi finanziati dal PON Inclusione (Avviso 3/2016)'], true);
  add(['Tipologia di servizio / intervento', 'Totale', 'Uomini (a)', 'Donne (b)'], true);
  s.tabella_2A.servizi.forEach((c) => cell(c));
  cell(s.tabella_2A.totale, true);
  const formats = values.map((row) => row.map((v) => (typeof v === 'number' ? '#,##0' : 'General')));
  return { grid: { values, formats, bold, width: 4 }, dataDate: s.fine_periodo };
}
