/**
 * XLSX for people: a caption (cube, filters, data date, demo notice), the
 * crosstab with number formats by measure, bold totals, frozen headers, a
 * footnote on suppressed cells, and a "Definizioni" sheet.
 */
import ExcelJS from 'exceljs';
import type { Format, QueryResult } from '../../query/result.ts';
import { labelText, toCrosstab, type Lang } from '../../query/crosstab.ts';
import { SUPPRESSED_MARK } from './csv.ts';

export const NUMBER_FORMATS: Record<Format, string | undefined> = {
  euro: '#,##0.00 "€"',
  integer: '#,##0',
  decimal: '#,##0.00',
  percent: '0.00%',
  text: undefined,
};

export interface XlsxOptions {
  lang?: Lang;
}

export function captionLines(result: QueryResult, lang: Lang = 'it'): string[] {
  const date = result.dataDate ? new Date(result.dataDate).toLocaleString('it-IT', { dateStyle: 'short', timeStyle: 'short', timeZone: 'Europe/Rome' }) : 'n.d.';
  return [
    ...result.filters.map((f) => `Filtro: ${f}`),
    `Dati aggiornati al ${date}`,
    ...(result.demo ? ['Dati dimostrativi generati, non reali'] : []),
    ...(result.truncated ? ['Risultato troncato: aumentare il limite o aggiungere filtri'] : []),
  ];
}

export async function toXlsx(result: QueryResult, opts: XlsxOptions = {}): Promise<Buffer> {
  const lang = opts.lang ?? 'it';
  const x = toCrosstab(result, lang);
  const wb = new ExcelJS.Workbook();
  wb.creator = 'PAS cubi';
  const ws = wb.addWorksheet('Dati');

  ws.addRow([labelText(result.cubeLabel, lang)]).font = { bold: true, size: 13 };
  for (const line of captionLines(result, lang)) ws.addRow([line]).font = { italic: true };
  ws.addRow([]);

  const lead = x.rowDimensions.length * 2;
  for (const [i, dim] of x.columnDimensions.entries()) {
    const row = ws.addRow([...Array(Math.max(lead - 1, 0)).fill(''), labelText(dim.label, lang), ...x.columns.map((c) => c.labels[i])]);
    row.font = { bold: true };
  }
  const header = ws.addRow([
    ...x.rowDimensions.flatMap((d) => [`Codice ${labelText(d.label, lang).toLowerCase()}`, labelText(d.label, lang)]),
    ...x.columns.map((c) => labelText(c.measure.label, lang)),
  ]);
  header.font = { bold: true };
  header.alignment = { wrapText: true, vertical: 'top' };
  const headerEnd = header.number;

  let anySuppressed = false;
  for (const r of x.rows) {
    const row = ws.addRow([
      ...r.keys.flatMap((k, i) => [k === null ? '' : k, r.labels[i]]),
      ...r.cells.map((v, i) => (r.suppressed[i] ? SUPPRESSED_MARK : v)),
    ]);
    if (r.rollup.length) row.font = { bold: true };
    r.cells.forEach((_, i) => {
      const cell = row.getCell(lead + i + 1);
      if (r.suppressed[i]) {
        anySuppressed = true;
        cell.alignment = { horizontal: 'right' };
        cell.font = { ...(row.font ?? {}), color: { argb: 'FF888888' } };
      } else cell.numFmt = NUMBER_FORMATS[x.columns[i].measure.format] ?? '';
    });
  }
  if (anySuppressed && result.suppression)
    ws.addRow([`${SUPPRESSED_MARK} = dato non disponibile per tutela della riservatezza (celle con meno di ${result.suppression.threshold} beneficiari e celle complementari).`]).font = { italic: true };

  ws.views = [{ state: 'frozen', xSplit: lead, ySplit: headerEnd }];
  for (let i = 1; i <= lead + x.columns.length; i++) ws.getColumn(i).width = i <= lead ? (i % 2 === 1 ? 12 : 34) : 16;

  const defs = wb.addWorksheet('Definizioni');
  defs.addRow(['Nome', 'Etichetta', 'Tipo', 'Definizione']).font = { bold: true };
  for (const c of result.columns) defs.addRow([c.name, labelText(c.label, lang), c.kind === 'measure' ? 'misura' : 'dimensione', c.definition ?? '']);
  defs.getColumn(1).width = 28;
  defs.getColumn(2).width = 40;
  defs.getColumn(3).width = 12;
  defs.getColumn(4).width = 90;

  return Buffer.from(await wb.xlsx.writeBuffer());
}
