/** A report as a workbook: its indicators, one sheet per table (one block per comparison), the filters, the data date, the definitions. */
import ExcelJS from 'exceljs';
import { labelText } from '../present/crosstab.ts';
import { NUMBER_FORMATS, perturbationNote, toGrid } from '../present/grid.ts';
import type { ReportResult } from '../reports/run.ts';

export async function reportXlsx(r: ReportResult): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'PAS cubi';
  const head = (ws: ExcelJS.Worksheet, title: string) => {
    ws.addRow([title]).font = { bold: true, size: 13 };
    if (r.territory) ws.addRow([`${r.territory.name} (${r.territory.code})`]);
    for (const f of r.filters) ws.addRow([`Filtro: ${f}`]).font = { italic: true };
    ws.addRow([`Dati aggiornati al ${r.dataDate ? new Date(r.dataDate).toLocaleDateString('it-IT') : 'n.d.'}${r.dataVersion ? ` (versione ${r.dataVersion})` : ''}`]).font = { italic: true };
    if (r.demo) ws.addRow(['Dati dimostrativi generati, non reali']).font = { italic: true };
    if (r.perturbation) ws.addRow([perturbationNote(r.perturbation)]).font = { italic: true };
    ws.addRow([]);
  };
  const kpis = wb.addWorksheet('Indicatori');
  head(kpis, labelText(r.label, 'it'));
  kpis.addRow(['Indicatore', 'Valore']).font = { bold: true };
  for (const k of r.kpis) {
    const row = kpis.addRow([labelText(k.label, 'it'), k.suppressed ? 'n.d.' : k.value]);
    if (!k.suppressed) row.getCell(2).numFmt = NUMBER_FORMATS[k.format as keyof typeof NUMBER_FORMATS] ?? 'General';
  }
  kpis.getColumn(1).width = 50;
  kpis.getColumn(2).width = 20;
  r.tables.forEach((t, i) => {
    const ws = wb.addWorksheet(`${i + 1} ${labelText(t.title, 'it')}`.slice(0, 31).replace(/[\\/?*[\]:]/g, ' '));
    head(ws, labelText(t.title, 'it'));
    for (const s of t.series) {
      if (t.series.length > 1) ws.addRow([s.label]).font = { bold: true };
      const grid = toGrid(s.result);
      grid.values.slice(grid.headerStart).forEach((values, j) => {
        const r0 = grid.headerStart + j;
        const row = ws.addRow(values.map((v) => (v === null ? undefined : v)));
        if (grid.bold[r0]) row.font = { bold: true };
        values.forEach((_, c) => {
          if (grid.formats[r0][c] !== 'General') row.getCell(c + 1).numFmt = grid.formats[r0][c];
        });
      });
      ws.addRow([]);
    }
    ws.getColumn(2).width = 34;
  });
  const defs = wb.addWorksheet('Definizioni');
  defs.addRow(['Indicatore', 'Definizione']).font = { bold: true };
  const seen = new Set<string>();
  for (const col of [...r.tables.flatMap((t) => t.series.flatMap((s) => s.result.columns))]) {
    if (col.kind !== 'measure' || seen.has(col.name)) continue;
    seen.add(col.name);
    defs.addRow([labelText(col.label, 'it'), col.definition ?? '']);
  }
  for (const k of r.kpis) if (!seen.has(k.measure)) seen.add(k.measure), defs.addRow([labelText(k.label, 'it'), k.definition ?? '']);
  defs.getColumn(1).width = 45;
  defs.getColumn(2).width = 100;
  return Buffer.from(await wb.xlsx.writeBuffer());
}
