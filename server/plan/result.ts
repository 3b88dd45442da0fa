/**
 * The answer to a cube query, in long format. This is the one shape every
 * output format (JSON, CSV, XLSX) is produced from.
 */

export type Format = 'euro' | 'integer' | 'decimal' | 'percent' | 'text';

export interface Label {
  it: string;
  en?: string;
}

export interface ResultColumn {
  name: string;
  kind: 'dimension' | 'measure';
  /** For dimensions: laid out down the rows or across the columns of a crosstab. */
  axis?: 'rows' | 'columns';
  label: Label;
  format: Format;
  /** What the figure counts (measures) or means (dimensions). */
  definition?: string;
  /** Key type of a dimension's members. */
  type?: 'integer' | 'string';
  /** Measures: false when rows must never be added up (distinct counts, ratios). */
  additive?: boolean;
  /** Dimensions whose model lists their members (inline lists, bands): the keys in declared order. */
  members?: (string | number)[];
  /**
   * Measures of a protected answer: true when the figure is perturbed by the cell key method (counts
   * and amounts get a small noise; each cell, subtotal and total on its own, so they need not add up).
   */
  perturbed?: boolean;
}

/** A dimension cell holds a member key (null in rows that roll it up); a measure cell a number (null when undefined, e.g. a ratio over 0). */
export type Cell = string | number | null;

export interface ResultRow {
  [column: string]: Cell | string[] | undefined;
  /** Present on subtotal / total rows: the dimensions this row rolls up. */
  rollup?: string[];
  /** Present when disclosure control hid the measures of this row (they are null). */
  suppressed?: 'primary' | 'secondary' | 'territory';
}

/** What an answer says about its protection by the cell key method (docs/riservatezza.md). */
export interface PerturbationInfo {
  method: 'cell_key';
  /** No count below it is published, except 0. */
  threshold: number;
  /** p-table: maximum noise D and variance V of a count. */
  maxNoise: number;
  variance: number;
  /** Amounts move by 0.5 to 1 times this share of the largest contribution of one person in the cell. */
  amountNoise: number;
}

export interface QueryResult {
  cube: string;
  cubeLabel: Label;
  columns: ResultColumn[];
  rows: ResultRow[];
  /** Member labels of the keys that appear in `rows`, per dimension: labels.regione['01'] = { it: 'Piemonte' }. */
  labels: Record<string, Record<string, Label>>;
  /** Human-readable description of the filters applied, one line each (Italian), for captions. */
  filters: string[];
  /** When the data were last loaded (ISO 8601). */
  dataDate: string;
  /** Data version of the cube's source: the id of its last load. */
  dataVersion: string;
  /** True when the data set is generated demo data. */
  demo: boolean;
  /** True when `limit` cut the result. */
  truncated: boolean;
  /** Disclosure control applied to this answer, when the cube has a rule. */
  suppression?: { threshold: number; primary: number; secondary: number; territory?: { minUnits: number; cells: number } };
  /** Disclosure control applied to this answer (cell key method), when the cube has a rule and the caller is not exempt. */
  perturbation?: PerturbationInfo;
}
