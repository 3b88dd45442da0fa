/** The MDX syntax tree: small plain objects with a `kind` and the position where each starts. */

export interface Pos {
  readonly line: number;
  readonly column: number;
}

/** One part of a compound name: `[x]` or bare `x`, or a member key `&[k]` (several for a composite key). */
export type NamePart = { readonly name: string } | { readonly keys: readonly string[] };

export type Expr =
  | { readonly kind: 'name'; readonly parts: readonly NamePart[]; readonly pos: Pos }
  | { readonly kind: 'prop'; readonly target: Expr; readonly name: string; readonly pos: Pos }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly (Expr | null)[]; readonly pos: Pos; readonly target?: Expr }
  | { readonly kind: 'set'; readonly items: readonly Expr[]; readonly pos: Pos }
  | { readonly kind: 'tuple'; readonly items: readonly Expr[]; readonly pos: Pos }
  | { readonly kind: 'binary'; readonly op: '*' | '+' | '-' | ':'; readonly left: Expr; readonly right: Expr; readonly pos: Pos }
  | { readonly kind: 'number'; readonly value: number; readonly pos: Pos }
  | { readonly kind: 'string'; readonly value: string; readonly pos: Pos };

export interface Axis {
  readonly nonEmpty: boolean;
  readonly set: Expr;
  readonly properties: readonly string[];
  /** 0 = COLUMNS, 1 = ROWS, … */
  readonly ordinal: number;
  readonly pos: Pos;
}

export type CubeRef = { readonly kind: 'cube'; readonly name: string; readonly pos: Pos } | { readonly kind: 'subselect'; readonly select: Select };

export interface Select {
  readonly kind: 'select';
  readonly withSets: readonly { readonly name: string; readonly expr: Expr }[];
  readonly axes: readonly Axis[];
  readonly from: CubeRef;
  readonly where?: Expr;
  /** Cell properties asked for (upper case); undefined: the defaults. */
  readonly cellProperties?: readonly string[];
}

/** `SELECT … FROM $system.ROWSET [WHERE col = 'v' AND …]`: a schema rowset asked for in SQL-like syntax. */
export interface DmvQuery {
  readonly kind: 'dmv';
  readonly rowset: string;
  /** Column names, or '*' . */
  readonly columns: readonly string[] | '*';
  readonly where: Readonly<Record<string, string[]>>;
}

export type Statement = Select | DmvQuery;
