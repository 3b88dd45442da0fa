/**
 * The cube file format, as zod schemas. This is what admins write in `cubes/*.yaml`;
 * `npm run cubes:schema` turns it into a JSON Schema for editors.
 */
import { z } from 'zod';
import { ProfileSchema } from '../security/profiles.ts';
import { MEASURE_KIND_NAMES } from './measure-kinds.ts';

const identifier = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'a lower-case name of letters, digits and _ starting with a letter (e.g. fascia_eta)');

const columnName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a column name of letters, digits and _');

export const LabelSchema = z.union([
  z.string().min(1),
  z.strictObject({ it: z.string().min(1), en: z.string().min(1).optional() }),
]);

const MemberKey = z.union([z.string().min(1), z.number().int()]);

export const InlineMemberSchema = z.strictObject({
  key: MemberKey,
  label: LabelSchema,
  description: z.string().optional(),
});

export const TableMembersSchema = z.strictObject({
  table: columnName.describe('table listing the members, e.g. territorio'),
  key: columnName.describe('column of the member key'),
  label: columnName.describe('column of the member label'),
  parent: identifier.optional().describe('dimension whose key column (same name) links a member to its parent level'),
});

export const BandSchema = z.strictObject({
  key: z.string().min(1),
  label: LabelSchema,
  from: z.number().optional().describe('lower bound, inclusive (omit for the first band)'),
  to: z.number().optional().describe('upper bound, inclusive (omit for the last band)'),
});

export const BandsSchema = z.strictObject({
  of: columnName.describe('numeric column the bands are computed from'),
  ranges: z.array(BandSchema).min(1),
  missing: z.strictObject({ key: z.string().min(1), label: LabelSchema }).optional().describe('band for NULL values'),
});

export const DimensionSchema = z.strictObject({
  use: identifier.optional().describe('name of a shared dimension (kind: dimensions file) this one is based on'),
  label: LabelSchema.optional(),
  description: z.string().optional(),
  column: columnName.optional().describe('column of the fact table holding the member key'),
  expression: z.string().min(1).optional().describe('ClickHouse expression computing the member key (admin-written, trusted)'),
  bands: BandsSchema.optional(),
  relative_to_scope: z
    .strictObject({ regione: columnName, ats: columnName, comune: columnName })
    .optional()
    .describe("key 1 when the column of the caller's territory level equals the caller's territory, else 2 (e.g. ente erogatore con sede legale nel territorio / fuori); members 1 and 2 must be listed"),
  type: z.enum(['integer', 'string']).optional().describe('type of the member keys (default string; bands are strings)'),
  ordered: z.boolean().optional().describe('members have an order: range filters (gte, lte, between) allowed'),
  members: z.union([z.array(InlineMemberSchema).min(1), TableMembersSchema]).optional(),
  provenance: z.enum(['reale', 'plausibile']).optional().describe("'plausibile' marks code lists we had to invent"),
  territorial: z
    .boolean()
    .optional()
    .describe('the members stand for places (e.g. a size class of the comune of residence): never allowed in a benchmark. Territory levels, the ente erogatore and relative_to_scope dimensions are territorial anyway'),
});

const MeasureFormat = z.enum(['euro', 'integer', 'decimal', 'percent']);

const CrossCubeRef = z.strictObject({
  cube: identifier.describe('another cube sharing dimensions with this one (e.g. popolazione)'),
  measure: identifier,
});

export const MeasureSchema = z.strictObject({
  label: LabelSchema,
  definition: z.string().min(1).describe('what the figure counts, shown to users beside it'),
  format: MeasureFormat,
  type: z.enum(MEASURE_KIND_NAMES),
  column: columnName.optional().describe('column aggregated by sum and count_distinct'),
  where: z
    .record(identifier, z.array(MemberKey).min(1))
    .optional()
    .describe('only rows whose dimension members are among these keys, e.g. { presa_in_carico: [1] }'),
  numerator: identifier.optional().describe('ratio: measure of this cube'),
  denominator: z.union([identifier, CrossCubeRef]).optional().describe('ratio: measure of this cube, or { cube, measure } over the shared dimensions'),
});

export const HierarchySchema = z.strictObject({
  label: LabelSchema,
  levels: z.array(identifier).min(1).describe('dimensions from the top level down'),
});

export const AccessSchema = z.strictObject({
  territory: z
    .strictObject({ regione: identifier.optional(), ats: identifier.optional(), comune: identifier.optional() })
    .optional()
    .describe('dimensions holding the territory codes a territorial profile is restricted on (default: the dimensions named regione, ats, comune)'),
  provider: identifier.optional().describe("dimension of the ente erogatore: an Ente profile sees only its own rows (ottica di erogazione)"),
  level: ProfileSchema
    .optional()
    .describe('detail level of the cube: profiles of this level and above may open it (default ente: every profile)'),
  profiles: z
    .array(ProfileSchema)
    .min(1)
    .optional()
    .describe("profiles that may read the cube (default: nazionale and the territorial profiles, plus ente when the cube declares how a record belongs to an ente); each needs its link: territorial profiles the territory dimensions, ente the `ente` link"),
  ente: z
    .enum(['provider', 'seat'])
    .optional()
    .describe("how a record belongs to an Ente profile: provider = the ente delivered it (needs `provider`; the default when `provider` is declared); seat = public reference data of the territory of the ente's seat (only for cubes without disclosure, e.g. population). Omitted without `provider`: the Ente profile does not read the cube"),
  ancestor_totals: z
    .union([
      z.boolean(),
      z.strictObject({
        dimensions: z.array(identifier).default([]).describe('the only dimensions a benchmark may be broken down or filtered by; never territorial ones'),
        min_units: z.number().int().min(1).max(1000).default(3).describe("each benchmark cell must aggregate at least this many comuni outside the caller's own territory, else it is suppressed (default 3)"),
      }),
    ])
    .optional()
    .describe('Confronti: callers may see the totals of the territories above their own (ATS, Regione, Italia), never broken down or filtered by a territorial dimension; true = totals only (k = 3)'),
});

export const DisclosureSchema = z.strictObject({
  person: columnName.describe('column identifying a person: a cell counts the distinct values of it'),
  threshold: z.number().int().min(1).max(100).default(3).describe('no published count is below it except 0 (SISTAN: at least 3); the p-table blocks 1..threshold-1'),
  noise: z
    .strictObject({
      max: z.number().int().min(1).max(20).describe('D: maximum absolute noise added to a count'),
      variance: z.number().positive().max(400).describe('V: variance of the noise of a count'),
    })
    .default({ max: 3, variance: 1.5 })
    .describe('p-table of the cell key method (docs/riservatezza.md; npm run ptable -- --D 3 --V 1.5 prints it)'),
  amount_noise: z
    .number()
    .gt(0)
    .max(1)
    .default(0.3)
    .describe('amounts move by 0.5 to 1 times this share of the largest contribution of one person in the cell (0.3: nobody\'s amount can be estimated within 15%)'),
  records: z
    .array(columnName)
    .default([])
    .describe('columns that, with the person, identify a record: the key of a record count (the same record always gets the same key)'),
  exact: z
    .array(identifier)
    .default([])
    .describe('count measures that are not counts of persons or records (e.g. municipalities) and stay exact'),
});

/** ClickHouse column types a declared table may use (Nullable is implied by `required: false`). */
export const COLUMN_TYPE = /^(String|LowCardinality\(String\)|U?Int(8|16|32|64)|Float(32|64)|Decimal\(\s*\d{1,2}\s*,\s*\d{1,2}\s*\)|Date|Date32|DateTime|Bool)$/;

export const ColumnSchema = z.strictObject({
  type: z
    .string()
    .regex(COLUMN_TYPE, 'a ClickHouse type: String, LowCardinality(String), UInt8..UInt64, Int8..Int64, Float32, Float64, Decimal(P, S), Date, Date32, DateTime or Bool')
    .describe('ClickHouse type of the column'),
  description: z.string().optional(),
  required: z.boolean().optional().describe('a value is required in every loaded row (default true); false makes the column Nullable'),
  codes: z
    .strictObject({ table: columnName, column: columnName })
    .optional()
    .describe('allowed values are those of this column of a reference table, e.g. { table: territorio, column: comune } for ISTAT comune codes'),
  values: z.array(MemberKey).min(1).optional().describe('allowed values, e.g. [1, 2]'),
  labels: z.record(z.string(), z.string().min(1)).optional().describe('label of each allowed value, e.g. { 1: Servizi socio-educativi }: what reports and sheets show'),
  required_if: z
    .strictObject({ column: columnName, values: z.array(MemberKey).min(1) })
    .optional()
    .describe('with required: false, a value is still required on rows where `column` has one of `values` (e.g. the income of employees)'),
  lookup: z
    .strictObject({ table: columnName, by: columnName, column: columnName })
    .optional()
    .describe('not read from the file: taken from `column` of the reference `table` on the row whose `by` equals this row\'s `by` (e.g. the ATS of the comune)'),
  matches: z
    .strictObject({ table: columnName, by: columnName })
    .optional()
    .describe('read from the file and checked: it must equal the same-named column of the reference `table` on the row whose `by` equals this row\'s `by` (e.g. ats matches territorio by comune: the comune belongs to the ATS)'),
  references: z
    .strictObject({ table: columnName, column: columnName })
    .optional()
    .describe('every value must exist in `column` of the declared table `table`, loaded in the same batch or already there (e.g. a member\'s nucleo_id in pon_nuclei)'),
  not_after: z
    .strictObject({ table: columnName, by: columnName, column: columnName })
    .optional()
    .describe('a date not later than `column` of the declared `table` on the row with the same `by` (e.g. a birth not after the signing day of the household)'),
  not_before: z
    .strictObject({ table: columnName, by: columnName, column: columnName })
    .optional()
    .describe('a date not earlier than `column` of the declared `table` on the row with the same `by` (e.g. a service not delivered before the member was born)'),
});

export const TableSchema = z.strictObject({
  description: z.string().optional(),
  columns: z.record(columnName, ColumnSchema).describe('columns in order; a load validates every row against them'),
  order_by: z.array(columnName).min(1).describe('sorting key (ClickHouse ORDER BY): the columns most queries filter on first'),
  batch: z
    .array(columnName)
    .min(1)
    .optional()
    .describe('columns identifying a batch (e.g. [anno]): a load replaces the batches it contains and keeps the others; without it a load replaces the whole table'),
});

export const CubeFileSchema = z.strictObject({
  kind: z.literal('cube'),
  name: identifier,
  label: LabelSchema,
  description: z.string().optional(),
  table: columnName.describe('fact table'),
  source: z.string().min(1).describe('data source whose load date is this cube data date, e.g. prestazioni'),
  hidden: z.boolean().optional().describe('not listed in GET /v1/cubes (still usable as a denominator)'),
  access: AccessSchema.optional().describe('how profile scopes apply to this cube'),
  disclosure: DisclosureSchema.optional().describe('small-count protection; omit for data that are not about persons (e.g. population totals)'),
  dimensions: z.record(identifier, DimensionSchema),
  hierarchies: z.record(identifier, HierarchySchema).optional(),
  measures: z.record(identifier, MeasureSchema),
  tables: z
    .record(columnName, TableSchema)
    .optional()
    .describe('source tables this cube file declares: `npm run schema` creates or migrates them, `npm run load` fills them'),
});

export const SharedDimensionsFileSchema = z.strictObject({
  kind: z.literal('dimensions'),
  description: z.string().optional(),
  dimensions: z.record(identifier, DimensionSchema),
});

export const TablesFileSchema = z.strictObject({
  kind: z.literal('tables'),
  description: z.string().optional(),
  tables: z.record(columnName, TableSchema).describe('source tables no cube reads directly (e.g. the PON microdata): npm run schema creates them, npm run load fills them'),
});

export const ModelFileSchema = z.discriminatedUnion('kind', [CubeFileSchema, SharedDimensionsFileSchema, TablesFileSchema]);

export type CubeFile = z.infer<typeof CubeFileSchema>;
export type DimensionFile = z.infer<typeof DimensionSchema>;
export type MeasureFile = z.infer<typeof MeasureSchema>;
export type ModelFile = z.infer<typeof ModelFileSchema>;
export type TableFile = z.infer<typeof TableSchema>;
