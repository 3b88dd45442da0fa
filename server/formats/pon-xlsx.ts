/** The sheet as the ATS files it: the official tables 1A, 1B and 2A with their titles, headings and men (a) / women (b) columns. */
import ExcelJS from 'exceljs';
import type { Cell, Scheda } from '../pon/scheda.ts';

const fmtDate = (d: string) => d.split('-').reverse().join('/');

export async function schedaXlsx(s: Scheda, atsName: string, demo: boolean): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'PAS cubi';
  const ws = wb.addWorksheet('Scheda monitoraggio fisico');
  ws.getColumn(1).width = 95;
  for (const c of [2, 3, 4]) ws.getColumn(c).width = 16;
  const bold = (row: ExcelJS.Row) => (row.font = { bold: true });
  const title = (text: string) => {
    ws.addRow([]);
    const r = ws.addRow([text]);
    r.font = { bold: true, size: 12 };
  };
  const header = (cols: string[]) => {
    const r = ws.addRow(cols);
    bold(r);
    r.eachCell((c) => (c.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDE6F0' } }));
    r.alignment = { wrapText: true, vertical: 'middle' };
  };
  const line = (c: Cell, strong = false) => {
    const r = ws.addRow([c.label, c.totale, c.uomini, c.donne]);
    if (strong) bold(r);
    for (const i of [2, 3, 4]) r.getCell(i).numFmt = '#,##0';
  };
  const group = (text: string) => (ws.addRow([text]).font = { italic: true, bold: true });

  const head = ws.addRow(['PON Inclusione 2014-2020 - Avviso 3/2016 - Scheda di monitoraggio fisico']);
  head.font = { bold: true, size: 14 };
  ws.addRow([`Ambito territoriale sociale: ${atsName} (${s.ats})`]);
  ws.addRow([`Periodo: dal ${fmtDate(s.dia)} (data di inizio attività) al ${fmtDate(s.fine_periodo)}; valori cumulati`]);
  if (demo) ws.addRow(['Dati dimostrativi generati, non reali']).font = { italic: true, color: { argb: 'FFAA0000' } };

  title('Punto 4.1 - Sistema di offerta dei servizi sociali');
  title('Tab. 1A - Nuclei, i cui componenti sono senza lavoro, presi in carico nell\'ambito dei servizi finanziati dal PON Inclusione (Avviso 3/2016)');
  header(['Indicatore', 'Totali previsti', 'Totali effettivi']);
  const a = ws.addRow(['Nuclei familiari', s.tabella_1A.previsti, s.tabella_1A.effettivi]);
  for (const i of [2, 3]) a.getCell(i).numFmt = '#,##0';

  title('Tab. 1B - Destinatari, le cui famiglie sono senza lavoro, presi in carico nell\'ambito dei servizi finanziati dal PON Inclusione (Avviso 3/2016)');
  header(['Indicatore', 'Totale', 'Uomini (a)', 'Donne (b)']);
  line(s.tabella_1B.totale, true);
  line(s.tabella_1B.migranti);
  line(s.tabella_1B.disabilita);
  group('Status lavorativo (alla sottoscrizione del progetto personalizzato)');
  s.tabella_1B.status.forEach((c) => line(c));
  group('Fascia d\'età (alla sottoscrizione del progetto personalizzato)');
  s.tabella_1B.eta.forEach((c) => line(c));
  group('Titolo di studio (alla sottoscrizione del progetto personalizzato)');
  s.tabella_1B.istruzione.forEach((c) => line(c));

  title('Punto 4.2 - Interventi socio-educativi e misure di politica attiva per gli utenti dei servizi sociali');
  title('Tab. 2A - Destinatari, le cui famiglie sono senza lavoro, a cui sono stati erogati servizi finanziati dal PON Inclusione (Avviso 3/2016)');
  header(['Tipologia di servizio / intervento', 'Totale', 'Uomini (a)', 'Donne (b)']);
  s.tabella_2A.servizi.forEach((c) => line(c));
  line(s.tabella_2A.totale, true);
  return Buffer.from(await wb.xlsx.writeBuffer());
}
