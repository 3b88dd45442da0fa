/** The report file format (`cubes/reports/*.yaml`): a PAS report declared over a cube, no code per report. */
import { z } from 'zod';
import { LabelSchema } from '../model/schema.ts';
import { PROFILES, ProfileSchema } from '../security/profiles.ts';

const name = z.string().regex(/^[a-z][a-z0-9_]*$/);
/** 'tutti': every profile, about its own scope (Prospetti, Confronti). */
const LEVEL = z.enum([...PROFILES, 'tutti']);

export const ReportTableSchema = z.strictObject({
  name,
  title: LabelSchema,
  /** Dimensions down the rows; `$sotto` is the territory level below the report's (Confronto Enti). */
  rows: z.array(z.string().min(1)).default([]),
  columns: z.array(name).default([]),
  measures: z.array(name).min(1),
  totals: z.boolean().default(true),
  /** Confronti Locali: the same figures for the territory and the territories above it, side by side. */
  compare: z.array(z.enum(['proprio', 'ats', 'regione', 'italia'])).optional(),
  chart: z.enum(['bar', 'pie', 'line', 'none']).default('bar'),
});

export const ReportFileSchema = z.strictObject({
  kind: z.literal('report'),
  name,
  label: LabelSchema,
  section: z.enum(['Quadri', 'Prospetti', 'Confronti', 'SINA', 'SINBA', 'ISEE']),
  description: z.string().optional(),
  /** Level of the report: profiles of this level and above open it, for a territory of this level within their scope. */
  level: LEVEL,
  /** With level 'tutti': only these profiles open it (default every profile). */
  profiles: z.array(ProfileSchema).optional(),
  cube: name,
  /** Dimensions the user may filter (the seed's filter list of the report). */
  filters: z.array(name).default([]),
  /** Fixed restriction of every figure, e.g. { prova_mezzi: [1] } for the benefits subject to ISEE. */
  where: z.record(name, z.array(z.union([z.string(), z.number()])).min(1)).default({}),
  kpis: z.array(name).default([]),
  tables: z.array(ReportTableSchema).default([]),
});

export type ReportFile = z.infer<typeof ReportFileSchema>;
export type ReportTable = z.infer<typeof ReportTableSchema>;
