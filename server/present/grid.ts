/**
 * The sheet layout of a result, shared by the XLSX export and the Excel
 * add-in: a caption (cube, filters, data date, demo notice), header rows, the
 * crosstab body with a number format per cell, bold totals, suppressed cells
 * marked, and a footnote. Pure data: writers only paint it.
 */
import { labelText, toCrosstab, type Lang } from './crosstab.ts';
import type { Format, PerturbationInfo, QueryResult } from '../plan/result.ts';

export const SUPPRESSED_MARK = 'n.d.';

export const NUMBER_FORMATS: Record<Format, string> = {
  euro: '#,##0.00 "€"',
  integer: '#,##0',
  decimal: '#,##0.00',
  percent: '0.00%',
  text: 'General',
};

export type GridValue = string | number | null;

export interface Grid {
  values: GridValue[][];
  /** Excel number format of every cell ('General' for text). */
  formats: string[][];
  /** Rows in bold: the cube title, headers, totals. */
  bold: boolean[];
  /** Row index (0-based) of the first header row (below the caption). */
  headerStart: number;
  /** Row index (0-based) of the last header row; data start below it. */
  headerEnd: number;
  /** Columns of row headers (code + label per row dimension), frozen at the left. */
  leadColumns: number;
  /** Cells hidden by disclosure control, [row, column]. */
  suppressed: [number, number][];
  width: number;
}

/** The note every protected answer carries: figures are perturbed, cells and totals each on their own. */
export function perturbationNote(p: PerturbationInfo, lang: Lang = 'it'): string {
  return lang === 'en'
    ? `Confidentiality: counts and amounts carry a small random deviation (cell key method: counts move by at most ${p.maxNoise}, never published as 1 or 2); each cell, subtotal and total is protected on its own, so totals may differ from the sum of their cells by a few units.`
    : `Riservatezza: conteggi e importi hanno un piccolo scarto casuale (metodo della chiave di cella: i conteggi si spostano al più di ${p.maxNoise} e non valgono mai 1 o 2); ogni cella, subtotale e totale è protetto da sé, quindi un totale può differire di qualche unità dalla somma delle sue celle.`;
}

export function captionLines(result: QueryResult, lang: Lang = 'it'): string[] {
  const date = result.dataDate ? new Date(result.dataDate).toLocaleString('it-IT', { dateStyle: 'short', timeStyle: 'short', timeZone: 'Europe/Rome' }) : 'n.d.';
  return [
    ...result.filters.map((f) => `${lang === 'en' ? 'Filter' : 'Filtro'}: ${f}`),
    `${lang === 'en' ? 'Data as of' : 'Dati aggiornati al'} ${date}${result.dataVersion ? ` (${lang === 'en' ? 'version' : 'versione'} ${result.dataVersion})` : ''}`,
    ...(result.demo ? [lang === 'en' ? 'Generated demo data, not real' : 'Dati dimostrativi generati, non reali'] : []),
    ...(result.truncated ? [lang === 'en' ? 'Result truncated: raise the limit or add filters' : 'Risultato troncato: aumentare il limite o aggiungere filtri'] : []),
    ...(result.perturbation ? [perturbationNote(result.perturbation, lang)] : []),
  ];
}

export function toGrid(result: QueryResult, lang: Lang = 'it'): Grid {
  const x = toCrosstab(result, lang);
  const lead = x.rowDimensions.length * 2;
  const width = Math.max(1, lead + x.columns.length);
  const values: GridValue[][] = [];
  const formats: string[][] = [];
  const bold: boolean[] = [];
  const push = (row: GridValue[], isBold: boolean, fmt?: string[]) => {
    const padded = [...row, ...Array(Math.max(0, width - row.length)).fill(null)];
    values.push(padded);
    formats.push(fmt ?? padded.map(() => 'General'));
    bold.push(isBold);
  };

  push([labelText(result.cubeLabel, lang)], true);
  for (const line of captionLines(result, lang)) push([line], false);
  push([], false);
  const headerStart = values.length;
  // The column dimension's name sits just left of its members, in the last row-header column; with no row dimensions there is no such column.
  x.columnDimensions.forEach((dim, i) => push([...(lead > 0 ? [...Array(lead - 1).fill(null), labelText(dim.label, lang)] : []), ...x.columns.map((c) => c.labels[i])], true));
  const codeWord = lang === 'en' ? 'Code' : 'Codice';
  push([...x.rowDimensions.flatMap((d) => [`${codeWord} ${labelText(d.label, lang).toLowerCase()}`, labelText(d.label, lang)]), ...x.columns.map((c) => labelText(c.measure.label, lang))], true);
  const headerEnd = values.length - 1;

  const suppressed: [number, number][] = [];
  for (const r of x.rows) {
    const rowIndex = values.length;
    const cells: GridValue[] = r.cells.map((v, i) => {
      if (!r.suppressed[i]) return v;
      suppressed.push([rowIndex, lead + i]);
      return SUPPRESSED_MARK;
    });
    const fmt = [...Array(lead).fill('General'), ...x.columns.map((c, i) => (r.suppressed[i] ? 'General' : NUMBER_FORMATS[c.measure.format]))];
    push([...r.keys.flatMap((k, i) => [k === null ? '' : k, r.labels[i]]), ...cells], r.rollup.length > 0, fmt);
  }
  if (suppressed.length && result.suppression)
    push([lang === 'en'
      ? `${SUPPRESSED_MARK} = not available to protect confidentiality (cells with fewer than ${result.suppression.threshold} beneficiaries and complementary cells).`
      : `${SUPPRESSED_MARK} = dato non disponibile per tutela della riservatezza (celle con meno di ${result.suppression.threshold} beneficiari e celle complementari).`], false);
  return { values, formats, bold, headerStart, headerEnd, leadColumns: lead, suppressed, width };
}

/** Detail rows only, one column per dimension label and measure: for an Excel table and the user's own PivotTables. */
export function toFlatTable(result: QueryResult, lang: Lang = 'it'): { header: string[]; rows: GridValue[][]; formats: string[]; nonAdditive: string[] } {
  const dims = result.columns.filter((c) => c.kind === 'dimension');
  const measures = result.columns.filter((c) => c.kind === 'measure');
  const header = [...dims.map((d) => labelText(d.label, lang)), ...measures.map((m) => labelText(m.label, lang))];
  const rows = result.rows
    .filter((r) => !r.rollup)
    .map((r) => [
      ...dims.map((d) => {
        const key = r[d.name] as string | number | null;
        return key === null ? null : labelText(result.labels[d.name]?.[String(key)], lang) || String(key);
      }),
      ...measures.map((m) => (r.suppressed ? SUPPRESSED_MARK : (r[m.name] as number | null))),
    ]);
  const formats = [...dims.map(() => 'General'), ...measures.map((m) => NUMBER_FORMATS[m.format])];
  const nonAdditive = measures.filter((m) => m.additive === false).map((m) => labelText(m.label, lang));
  return { header, rows, formats, nonAdditive };
}
