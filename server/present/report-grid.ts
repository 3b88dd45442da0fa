/** A report laid out for a new sheet: indicators, then each table (one block per comparison), and where each chart goes. */
import { labelText, type Lang } from './crosstab.ts';
import { NUMBER_FORMATS, perturbationNote, toGrid, type GridValue } from './grid.ts';
import type { Format } from '../plan/result.ts';
import type { ReportResult } from '../reports/run.ts';

export interface ChartSpec {
  type: 'bar' | 'pie' | 'line';
  /** Rows (0-based, inclusive) and columns of the data the chart plots, within the block. */
  top: number;
  bottom: number;
  left: number;
  right: number;
  title: string;
}

export function reportGrid(r: ReportResult, lang: Lang) {
  const width = Math.max(4, ...r.tables.flatMap((t) => t.series.map((s) => toGrid(s.result, lang).width)));
  const values: GridValue[][] = [];
  const formats: string[][] = [];
  const bold: boolean[] = [];
  const charts: ChartSpec[] = [];
  const add = (row: GridValue[], b = false, fmt?: string[]) => {
    values.push([...row, ...Array(width - row.length).fill(null)]);
    formats.push([...(fmt ?? []), ...Array(width - (fmt?.length ?? 0)).fill('General')]);
    bold.push(b);
  };
  add([labelText(r.label, lang)], true);
  if (r.territory) add([`${r.territory.name} (${r.territory.code})`]);
  for (const f of r.filters) add([`${lang === 'en' ? 'Filter' : 'Filtro'}: ${f}`]);
  add([`${lang === 'en' ? 'Data as of' : 'Dati aggiornati al'} ${r.dataDate.slice(0, 10)}`]);
  if (r.demo) add([lang === 'en' ? 'Generated demo data, not real' : 'Dati dimostrativi generati, non reali']);
  if (r.perturbation) add([perturbationNote(r.perturbation, lang)]);
  add([]);
  for (const k of r.kpis) add([labelText(k.label, lang), k.suppressed ? 'n.d.' : k.value], false, ['General', k.suppressed ? 'General' : NUMBER_FORMATS[k.format as Format] ?? 'General']);
  for (const t of r.tables) {
    add([]);
    add([labelText(t.title, lang)], true);
    for (const s of t.series) {
      if (t.series.length > 1) add([s.label], true);
      const g = toGrid(s.result, lang);
      const headerRow = values.length + (g.headerEnd - g.headerStart);
      g.values.slice(g.headerStart).forEach((row, j) => add(row, g.bold[g.headerStart + j], g.formats[g.headerStart + j]));
      // Chart: labels and the first measure of the detail rows (totals, in bold, are left out).
      let detail = 0;
      while (g.headerEnd + 1 + detail < g.values.length && !g.bold[g.headerEnd + 1 + detail]) detail++;
      if (t.chart !== 'none' && detail > 1 && g.leadColumns > 0)
        charts.push({ type: t.chart as ChartSpec['type'], top: headerRow, bottom: headerRow + detail, left: g.leadColumns - 1, right: g.leadColumns, title: `${labelText(t.title, lang)}${t.series.length > 1 ? ` - ${s.label}` : ''}` });
    }
  }
  return { grid: { values, formats, bold, width }, charts };
}
