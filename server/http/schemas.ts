/** Response shapes, for validation of our own answers and for the OpenAPI document. */
import { z } from 'zod';

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
  type: z.enum(['sum', 'count', 'count_distinct', 'ratio']),
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

export const QueryResultOut = z
  .object({
    cube: z.string(),
    cubeLabel: LabelOut,
    columns: z.array(
      z.object({
        name: z.string(),
        kind: z.enum(['dimension', 'measure']),
        axis: z.enum(['rows', 'columns']).optional(),
        label: LabelOut,
        format: z.string(),
        definition: z.string().optional(),
        type: z.enum(['integer', 'string']).optional(),
        additive: z.boolean().optional().describe('measures: false when rows must never be added up'),
        perturbed: z.boolean().optional().describe('measures of a protected answer: true when the figure carries the noise of the cell key method (cells, subtotals and totals each on their own)'),
      }),
    ),
    rows: z
      .array(z.record(z.string(), z.unknown()))
      .describe('one object per combination, keyed by column name; dimension cells hold member keys, null where rolled up; `rollup` lists the rolled-up dimensions of total rows'),
    labels: z.record(z.string(), z.record(z.string(), LabelOut)).describe('labels[dimension][key]: the label of every key in rows'),
    filters: z.array(z.string()),
    dataDate: z.string(),
    dataVersion: z.string().describe('id of the last load of the source (also in the X-Data-Version header): a change means the data changed'),
    demo: z.boolean(),
    truncated: z.boolean().describe('true when `limit` cut the result'),
    perturbation: z
      .object({ method: z.literal('cell_key'), threshold: z.number(), maxNoise: z.number(), variance: z.number(), amountNoise: z.number() })
      .optional()
      .describe('present when figures are protected by the cell key method (docs/riservatezza.md): no count below threshold except 0, counts move by at most maxNoise'),
  })
  .describe('long format; CSV and XLSX lay the column dimensions out across');
