/** The query contract statisticians script against: validated with zod, documented in OpenAPI from the same schema. */
import { z } from 'zod';

export const MemberKeySchema = z.union([z.string().max(200), z.number().int()]);

const dimension = z.string().min(1).max(64).describe('dimension name, e.g. regione');

export const FilterSchema = z
  .discriminatedUnion('op', [
    z.strictObject({ dimension, op: z.literal('eq'), value: MemberKeySchema }),
    z.strictObject({ dimension, op: z.literal('in'), values: z.array(MemberKeySchema).min(1).max(10_000) }),
    z.strictObject({ dimension, op: z.literal('not_in'), values: z.array(MemberKeySchema).min(1).max(10_000) }),
    z.strictObject({ dimension, op: z.literal('gte'), value: MemberKeySchema }),
    z.strictObject({ dimension, op: z.literal('lte'), value: MemberKeySchema }),
    z.strictObject({ dimension, op: z.literal('between'), values: z.tuple([MemberKeySchema, MemberKeySchema]) }),
  ])
  .describe('eq/in/not_in on any dimension; gte/lte/between on ordered dimensions (anno, trimestre, bands)');

export const OrderSchema = z.strictObject({
  by: z.string().min(1).max(64).describe('a dimension or measure of the query'),
  direction: z.enum(['asc', 'desc']).default('asc'),
});

export const MAX_LIMIT = 100_000;

export const QuerySpecSchema = z
  .strictObject({
    measures: z.array(z.string().min(1).max(64)).min(1).max(30).describe('measures to compute'),
    rows: z.array(dimension).max(8).default([]).describe('dimensions laid out down the rows'),
    columns: z.array(dimension).max(4).default([]).describe('dimensions laid out across the columns (crosstab in CSV/XLSX)'),
    filters: z.array(FilterSchema).max(50).default([]),
    totals: z.boolean().default(false).describe('add the grand total, the row totals and the column totals'),
    subtotals: z.boolean().default(false).describe('add a subtotal for every level of the row dimensions'),
    benchmark: z
      .enum(['ats', 'regione', 'italia'])
      .optional()
      .describe("Confronti: the total of the caller's ATS, Regione or Italy instead of its own territory; rows, columns and filters only on the dimensions the cube declares safe for benchmarks (never territorial ones); cells gathering fewer than k comuni outside the caller's territory come back suppressed (\"suppressed\": \"territory\")"),
    order: z.array(OrderSchema).max(10).default([]).describe('default: row dimensions in member order, totals last'),
    limit: z.number().int().min(1).max(MAX_LIMIT).default(10_000).describe('maximum number of rows returned (totals included)'),
    offset: z.number().int().min(0).default(0),
  })
  .meta({
    example: {
      measures: ['beneficiari', 'importo'],
      rows: ['regione'],
      columns: ['anno'],
      filters: [{ dimension: 'anno', op: 'in', values: [2022, 2023] }],
      totals: true,
    },
  });

export type QuerySpec = z.infer<typeof QuerySpecSchema>;
export type QuerySpecInput = z.input<typeof QuerySpecSchema>;
export type Filter = z.infer<typeof FilterSchema>;
