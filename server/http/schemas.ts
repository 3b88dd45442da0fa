/**
 * Response shapes: the contract of the API. They validate our own answers
 * (see serializer.ts), generate the OpenAPI document, and give the Excel
 * add-in its types (`z.infer`, imported as types only: nothing of zod reaches
 * the add-in's bundle).
 */
import { z } from 'zod';
import { MEASURE_KIND_NAMES } from '../model/measure-kinds.ts';
import type { QueryResult, ResultColumn } from '../plan/result.ts';
import type { Kpi, ReportResult } from '../reports/run.ts';

export const LabelOut = z.object({ it: z.string(), en: z.string().optional() });

export const ProblemOut = z
  .object({ type: z.string(), title: z.string(), status: z.number(), detail: z.string(), code: z.string() })
  .loose()
  .describe('application/problem+json');

export const CubeSummaryOut = z.object({
  name: z.string(),
  label: LabelOut,
  description: z.string().optional(),
  dimensions: z.array(z.string()),
  measures: z.array(z.string()),
  dataDate: z.string().describe('last load of the data behind the cube (ISO 8601)'),
  dataVersion: z.string().describe('data version: id of the last load of the data behind the cube'),
  demo: z.boolean().describe('true when the data are generated demo data'),
});

export const DimensionOut = z.object({
  name: z.string(),
  label: LabelOut,
  description: z.string().optional(),
  type: z.enum(['integer', 'string']),
  ordered: z.boolean().describe('range filters (gte, lte, between) allowed'),
  hierarchy: z.object({ name: z.string(), level: z.number() }).optional(),
  members: z.enum(['inline', 'table', 'bands', 'distinct']).describe('where the member list comes from'),
  provenance: z.enum(['reale', 'plausibile']).describe("'plausibile': code list invented for the demo"),
  bands: z.array(z.object({ key: z.string(), label: LabelOut, from: z.number().optional(), to: z.number().optional() })).optional(),
});

export const MeasureOut = z.object({
  name: z.string(),
  label: LabelOut,
  definition: z.string(),
  format: z.enum(['euro', 'integer', 'decimal', 'percent']),
  type: z.enum(MEASURE_KIND_NAMES),
  additive: z.boolean().describe('false: never add rows up (distinct counts, ratios); use the totals the server computes'),
});

export const CubeOut = CubeSummaryOut.omit({ dimensions: true, measures: true }).extend({
  dimensions: z.array(DimensionOut),
  hierarchies: z.array(z.object({ name: z.string(), label: LabelOut, levels: z.array(z.string()) })),
  measures: z.array(MeasureOut),
});

export const MemberPageOut = z.object({
  dimension: z.string(),
  total: z.number().describe('members matching the search, before paging'),
  members: z.array(z.object({ key: z.union([z.string(), z.number()]), label: LabelOut, parent: z.string().optional() })),
});

const MemberKey = z.union([z.string(), z.number()]);

export const SuppressionOut = z.object({
  threshold: z.number().describe('cells with fewer people than this are hidden'),
  primary: z.number().describe('rows hidden because small'),
  secondary: z.number().describe('rows hidden so that the small ones cannot be recomputed'),
  territory: z
    .object({ minUnits: z.number().describe('territorial units a benchmark cell must aggregate'), cells: z.number().describe('benchmark cells hidden for aggregating fewer units') })
    .optional()
    .describe('benchmarks (totals of territories above the caller): their breakdown is shown only where each cell aggregates enough units'),
});

const PerturbationOut = z
  .object({ method: z.literal('cell_key'), threshold: z.number(), maxNoise: z.number(), variance: z.number(), amountNoise: z.number() })
  .optional()
  .describe('present when figures are protected by the cell key method (docs/riservatezza.md): no count below threshold except 0, counts move by at most maxNoise');

export const ResultColumnOut = z.object({
  name: z.string(),
  kind: z.enum(['dimension', 'measure']),
  axis: z.enum(['rows', 'columns']).optional(),
  label: LabelOut,
  format: z.enum(['euro', 'integer', 'decimal', 'percent', 'text']),
  definition: z.string().optional(),
  type: z.enum(['integer', 'string']).optional(),
  additive: z.boolean().optional().describe('measures: false when rows must never be added up'),
  members: z.array(MemberKey).optional().describe('dimensions with a declared member list: the keys in declared order (the order of crosstab columns)'),
  perturbed: z.boolean().optional().describe('measures of a protected answer: true when the figure carries the noise of the cell key method (cells, subtotals and totals each on their own)'),
});

export const QueryResultOut = z
  .object({
    cube: z.string(),
    cubeLabel: LabelOut,
    columns: z.array(ResultColumnOut),
    rows: z
      .array(z.record(z.string(), z.union([MemberKey, z.null(), z.array(z.string())])))
      .describe('one object per combination, keyed by column name; dimension cells hold member keys, null where rolled up; `rollup` lists the rolled-up dimensions of total rows; `suppressed` (primary|secondary|territory) marks rows hidden by disclosure control'),
    labels: z.record(z.string(), z.record(z.string(), LabelOut)).describe('labels[dimension][key]: the label of every key in rows'),
    filters: z.array(z.string()),
    dataDate: z.string(),
    dataVersion: z.string().describe('id of the last load of the source (also in the X-Data-Version header): a change means the data changed'),
    demo: z.boolean(),
    truncated: z.boolean().describe('true when `limit` cut the result'),
    suppression: SuppressionOut.optional().describe('disclosure control applied to this answer, when the cube has a rule'),
    perturbation: PerturbationOut,
  })
  .describe('long format; CSV and XLSX lay the column dimensions out across');

export const ReportListOut = z.object({
  reports: z.array(z.object({
    name: z.string(),
    label: LabelOut,
    section: z.string(),
    level: z.string(),
    description: z.string().optional(),
    preview: z.string().describe('HTML preview page of the report'),
    filters: z.array(z.object({
      dimension: z.string(),
      label: LabelOut,
      total: z.number(),
      values: z.array(z.object({ key: MemberKey, label: LabelOut })).optional().describe("allowed values in the caller's scope, when few"),
      members: z.string().describe('members endpoint, with search'),
    })),
    tables: z.array(z.object({ name: z.string(), title: LabelOut, chart: z.string() })),
  })),
});

export const ReportOut = z.object({
  report: z.string(),
  title: z.string().describe('the report\'s Italian label'),
  label: LabelOut,
  section: z.string(),
  level: z.string(),
  territory: z.object({ level: z.string(), code: z.string(), name: z.string() }).nullable().describe('territory (or ente) the report is about'),
  filters: z.array(z.string()),
  dataDate: z.string(),
  dataVersion: z.string(),
  demo: z.boolean(),
  perturbation: PerturbationOut,
  kpis: z.array(z.object({
    measure: z.string(),
    label: LabelOut,
    format: z.enum(['euro', 'integer', 'decimal', 'percent', 'text']),
    definition: z.string().optional(),
    value: z.number().nullable(),
    suppressed: z.boolean(),
  })),
  tables: z.array(z.object({
    name: z.string(),
    title: LabelOut,
    chart: z.enum(['bar', 'pie', 'line', 'none']),
    series: z.array(z.object({ key: z.string(), label: z.string(), result: QueryResultOut })).describe('one answer, or one per comparison (own territory, its ATS, Regione, Italia)'),
  })),
});

const PonCellOut = z.object({ id: z.string(), label: z.string(), totale: z.number(), uomini: z.number().describe('colonna (a)'), donne: z.number().describe('colonna (b)') });
export const PonSchedaOut = z.object({
  ats: z.string(),
  ats_nome: z.string().optional().describe("the ATS's name"),
  dia: z.string(),
  fine_periodo: z.string(),
  demo: z.boolean(),
  dataVersion: z.string().describe('id of the last load of the PON data (also in X-Data-Version)'),
  tabella_1A: z.object({ id: z.string(), label: z.string(), previsti: z.number(), effettivi: z.number() }),
  tabella_1B: z.object({ totale: PonCellOut, migranti: PonCellOut, disabilita: PonCellOut, status: z.array(PonCellOut), eta: z.array(PonCellOut), istruzione: z.array(PonCellOut) }),
  tabella_2A: z.object({ servizi: z.array(PonCellOut), totale: PonCellOut }),
  avvisi: z.array(z.string()).describe('data-quality warnings: records not counted and why (e.g. a household with no members)'),
});
export const PonDrillOut = z.object({ cella: z.string(), label: z.string(), nuclei: z.array(z.string()).optional(), uomini: z.array(z.string()).optional(), donne: z.array(z.string()).optional() });

export const CubeListOut = z.object({ cubes: z.array(CubeSummaryOut) });

/** The answers as the add-in reads them. */
export type CubeSummary = z.infer<typeof CubeSummaryOut>;
export type CubeDescription = z.infer<typeof CubeOut>;
export type MemberPage = z.infer<typeof MemberPageOut>;
export type QueryAnswer = z.infer<typeof QueryResultOut>;
export type ReportListing = z.infer<typeof ReportListOut>['reports'][number];
export type ReportAnswer = z.infer<typeof ReportOut>;
export type PonScheda = z.infer<typeof PonSchedaOut>;
export type PonCell = z.infer<typeof PonCellOut>;

/**
 * Compile-time guard: every field the server's own types can carry is
 * declared in the contract (a new field breaks the build here, not a client).
 */
type Undeclared<Sent, Declared> = [Exclude<keyof Sent, keyof Declared>] extends [never] ? true : { undeclared: Exclude<keyof Sent, keyof Declared> };
export const CONTRACT_COVERS_TYPES: [
  Undeclared<QueryResult, QueryAnswer>,
  Undeclared<ResultColumn, z.infer<typeof ResultColumnOut>>,
  Undeclared<NonNullable<QueryResult['suppression']>, z.infer<typeof SuppressionOut>>,
  Undeclared<NonNullable<NonNullable<QueryResult['suppression']>['territory']>, NonNullable<z.infer<typeof SuppressionOut>['territory']>>,
  Undeclared<Omit<ReportResult, never>, ReportAnswer>,
  Undeclared<Kpi, ReportAnswer['kpis'][number]>,
] = [true, true, true, true, true, true];
