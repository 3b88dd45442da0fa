/** The validated, resolved cube model the rest of the server works with. Plain readonly data. */
import type { BaseMeasureKind } from './measure-kinds.ts';
import type { Format, Label } from '../plan/result.ts';
import type { Profile } from '../security/profiles.ts';

export type MemberKey = string | number;

export interface Band {
  readonly key: string;
  readonly label: Label;
  readonly from?: number;
  readonly to?: number;
}

export type MemberSource =
  | { readonly kind: 'inline'; readonly members: readonly { key: MemberKey; label: Label; description?: string }[] }
  | { readonly kind: 'table'; readonly table: string; readonly key: string; readonly label: string; readonly parent?: string }
  | { readonly kind: 'bands' }
  | { readonly kind: 'distinct' };

/** How a dimension's member key is computed from the fact table. */
export type KeyExpression =
  | { readonly kind: 'column'; readonly column: string }
  | { readonly kind: 'expression'; readonly sql: string }
  | { readonly kind: 'bands'; readonly column: string; readonly ranges: readonly Band[]; readonly missing?: { key: string; label: Label } }
  /** 1 when the column of the caller's territory level holds the caller's territory, else 2: resolved by the scope rewrite. */
  | { readonly kind: 'scope_relative'; readonly columns: Readonly<Record<'regione' | 'ats' | 'comune', string>> };

export interface Dimension {
  readonly name: string;
  readonly label: Label;
  readonly description?: string;
  readonly key: KeyExpression;
  readonly type: 'integer' | 'string';
  readonly ordered: boolean;
  readonly members: MemberSource;
  readonly provenance: 'reale' | 'plausibile';
  /** Stands for places (territory levels, ente erogatore, relative_to_scope, or declared): never in a benchmark. */
  readonly territorial: boolean;
  /** Hierarchy this dimension is a level of, if any. */
  readonly hierarchy?: { readonly name: string; readonly level: number };
}

export type Measure =
  | BaseMeasure
  | RatioMeasure;

interface MeasureCommon {
  readonly name: string;
  readonly label: Label;
  readonly definition: string;
  readonly format: Exclude<Format, 'text'>;
}

export interface BaseMeasure extends MeasureCommon {
  readonly kind: BaseMeasureKind;
  readonly column?: string;
  /** Dimension name -> allowed member keys. */
  readonly where: Readonly<Record<string, readonly MemberKey[]>>;
  /** True when rows may be added up (sum, count); false for distinct counts. */
  readonly additive: boolean;
}

export interface RatioMeasure extends MeasureCommon {
  readonly kind: 'ratio';
  readonly numerator: string;
  /** Same cube when `cube` is absent; otherwise a measure of another cube, matched on the shared dimensions. */
  readonly denominator: { readonly cube?: string; readonly measure: string };
  readonly additive: false;
}

export interface Hierarchy {
  readonly name: string;
  readonly label: Label;
  readonly levels: readonly string[];
}

export interface Access {
  /** Dimension holding the codes of each territory level, when the cube has it. */
  readonly territory: Readonly<Partial<Record<'regione' | 'ats' | 'comune', string>>>;
  readonly provider?: string;
  /** Profiles that may read the cube (each through its link: territory dimensions, or `ente`). */
  readonly profiles: readonly Profile[];
  /** How a record belongs to an Ente profile; absent: the Ente profile does not read the cube. */
  readonly ente?: 'provider' | 'seat';
  /** Confronti (ancestor totals), when allowed: the dimensions a benchmark may use and the minimum of territorial units per cell. */
  readonly benchmark?: { readonly dimensions: readonly string[]; readonly minUnits: number };
  /** Detail level: profiles of this level and above may open the cube. */
  readonly level: Profile;
}

export interface Disclosure {
  readonly person: string;
  readonly threshold: number;
  /** p-table parameters: maximum noise D and variance V (js = threshold - 1). */
  readonly noise: { readonly max: number; readonly variance: number };
  /** Amount noise, as a share of the largest contribution of one person in the cell. */
  readonly amountNoise: number;
  /** Columns identifying a record together with the person (record keys). */
  readonly records: readonly string[];
  /** Count measures that stay exact (not counts of persons or records). */
  readonly exact: readonly string[];
}

export interface Cube {
  readonly name: string;
  readonly label: Label;
  readonly description?: string;
  readonly table: string;
  readonly source: string;
  readonly hidden: boolean;
  readonly file: string;
  readonly dimensions: ReadonlyMap<string, Dimension>;
  readonly hierarchies: ReadonlyMap<string, Hierarchy>;
  readonly measures: ReadonlyMap<string, Measure>;
  readonly access: Access;
  readonly disclosure?: Disclosure;
}

/** A column of a declared source table. */
export interface TableColumn {
  readonly name: string;
  /** Declared base type, e.g. 'UInt16', 'Decimal(18, 2)' (without Nullable). */
  readonly type: string;
  readonly required: boolean;
  readonly description?: string;
  readonly codes?: { readonly table: string; readonly column: string };
  readonly values?: readonly MemberKey[];
  readonly lookup?: { readonly table: string; readonly by: string; readonly column: string };
  /** Checked against the same-named column of `table` on the row with the same `by` (a comune's ATS). */
  readonly matches?: { readonly table: string; readonly by: string };
  /** Every value must exist in `column` of the declared table `table` (cross-table check of a load). */
  readonly references?: { readonly table: string; readonly column: string };
  /** Label of each allowed value (keys as text). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Not required in general, but required on rows where `column` has one of `values`. */
  readonly requiredIf?: { readonly column: string; readonly values: readonly MemberKey[] };
  /** Cross-table date order: not later / not earlier than `column` of `table` on the row with the same `by`. */
  readonly notAfter?: DateBound;
  readonly notBefore?: DateBound;
}

export interface DateBound {
  readonly table: string;
  readonly by: string;
  readonly column: string;
}

/** A source table declared in a cube file: what `npm run schema` creates and `npm run load` validates against. */
export interface TableDef {
  readonly name: string;
  readonly description?: string;
  readonly file: string;
  readonly columns: readonly TableColumn[];
  readonly orderBy: readonly string[];
  /** Columns identifying a batch (the partition key); empty: a load replaces the whole table. */
  readonly batch: readonly string[];
}

export interface Model {
  readonly cubes: ReadonlyMap<string, Cube>;
  /** Declared source tables by name. */
  readonly tables: ReadonlyMap<string, TableDef>;
}
