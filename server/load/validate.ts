/**
 * Row validation against a declared table: every column's type, required
 * values, allowed codes (a reference table's column or a list) and lookups
 * (e.g. the ATS of a comune). Pure: the reference data are passed in, so the
 * rules are tested without an engine.
 */
import type { TableColumn, TableDef } from '../model/types.ts';

export interface Rejection {
  line: number;
  column: string;
  reason: string;
  value?: string;
}

/** Values of reference columns, keyed by "table.column" (codes) and "table.by.column" (lookups). */
export interface ReferenceData {
  codes: ReadonlyMap<string, ReadonlySet<string>>;
  lookups: ReadonlyMap<string, ReadonlyMap<string, unknown>>;
}

export const codesKey = (c: { table: string; column: string }) => `${c.table}.${c.column}`;
export const lookupKey = (l: { table: string; by: string; column: string }) => `${l.table}.${l.by}.${l.column}`;

/** A valid row is its values in the table's column order (what the staging insert writes). */
export type Checked = { ok: true; values: unknown[] } | { ok: false; errors: Omit<Rejection, 'line'>[] };

/**
 * The reasons a value is rejected, in Italian, as the person who sent the file
 * reads them: one place for both validators (this one, row by row, and the
 * engine's, server/load/engine-validate.ts).
 */
export const REASONS = {
  missing: 'valore obbligatorio mancante',
  integer: 'non è un numero intero',
  range: (type: string, min: bigint, max: bigint) => `fuori dall'intervallo di ${type} (${min}..${max})`,
  decimal: 'non è un numero (usare il punto o la virgola per i decimali, senza separatore delle migliaia)',
  decimals: (have: number, scale: number) => `ha ${have} cifre decimali, al massimo ${scale}`,
  integerDigits: (digits: number) => `ha più di ${digits} cifre intere`,
  float: 'non è un numero',
  date: 'non è una data (AAAA-MM-GG oppure GG/MM/AAAA)',
  noSuchDate: 'data inesistente',
  dateRange: (range: string) => `data fuori dall'intervallo ${range}`,
  dateTime: 'non è una data e ora (AAAA-MM-GG HH:MM:SS)',
  bool: 'non è un valore sì/no (1/0, true/false, si/no)',
  utf8: 'contiene caratteri non validi in UTF-8: il file è forse in Latin-1 (opzione encoding latin1)',
  unknownCode: (source: string) => `codice sconosciuto (non presente in ${source})`,
  notAllowed: (values: readonly unknown[]) => `valore non ammesso (ammessi: ${values.join(', ')})`,
  underivable: (by: string) => `non ricavabile: ${by} mancante`,
  noLookupRow: (table: string, by: string, key: string, column: string) => `nessuna riga di ${table} con ${by} = ${key} (serve per ${column})`,
  requiredIf: (when: string, values: readonly unknown[]) => `valore obbligatorio quando ${when} è ${values.join(' o ')}`,
  mismatch: (by: string, key: string, column: string, expected: string, table: string, actual: string) => `${by} ${key} appartiene a ${column} ${expected} in ${table}, non a ${actual}`,
  fieldCount: (have: number | string, expected: number, separator: string) => `${have} campi invece di ${expected} (separatore "${separator}")`,
  requiredColumn: (column: string) => `colonna obbligatoria assente nel file: ${column}`,
} as const;

/** Ranges of the integer types, shared with the engine's checks. */
export const INT_RANGE: Record<string, [bigint, bigint]> = {
  UInt8: [0n, 255n], UInt16: [0n, 65535n], UInt32: [0n, 4294967295n], UInt64: [0n, 18446744073709551615n],
  Int8: [-128n, 127n], Int16: [-32768n, 32767n], Int32: [-2147483648n, 2147483647n], Int64: [-9223372036854775808n, 9223372036854775807n],
};

/** Date holds 1970-01-01..2149-06-06; Date32 (births, anything that can precede 1970) 1900-01-01..2299-12-31. */
export const DATE_RANGE: Record<'Date' | 'Date32', [string, string, string]> = {
  Date: ['1970-01-01', '2149-06-06', '1970-2149 (tipo Date: per date anteriori al 1970 la colonna va dichiarata Date32)'],
  Date32: ['1900-01-01', '2299-12-31', '1900-2299'],
};

/** Spellings of yes and no a file may use (lower case). */
export const BOOL: Record<string, boolean> = { true: true, false: false, '1': true, '0': false, si: true, 'sì': true, no: false, vero: true, falso: false, yes: true };

/** Columns the loader reads from the file: every column except those filled by a lookup. */
export const fileColumns = (table: TableDef) => table.columns.filter((c) => !c.lookup);

/** Problems with the file's columns (a required column absent), checked once per file. */
export function headerProblems(table: TableDef, columns: readonly string[]): string[] {
  const have = new Set(columns);
  return fileColumns(table).filter((c) => c.required && !have.has(c.name)).map((c) => REASONS.requiredColumn(c.name));
}

/** Columns the file has that the table does not read (ignored; a lookup column is always recomputed). */
export function ignoredColumns(table: TableDef, columns: readonly string[]): string[] {
  const read = new Set(fileColumns(table).map((c) => c.name));
  return columns.filter((c) => !read.has(c));
}

/** A required free-text column (String without codes or values): an empty field is the empty string, not a missing value. */
export const emptyIsText = (c: TableColumn) => c.required && !c.codes && !c.values && (c.type === 'String' || c.type === 'LowCardinality(String)');

/** A parse failure (a class, so that a successful parse allocates nothing). */
export class Invalid {
  constructor(readonly error: string) {}
}
type Parse = (raw: unknown) => unknown;

function text(raw: unknown): string {
  if (raw instanceof Date) return raw.toISOString();
  return typeof raw === 'string' ? raw.trim() : String(raw);
}

function parseInteger(type: string): Parse {
  const [min, max] = INT_RANGE[type];
  const big = type.endsWith('64');
  const [lo, hi] = [Number(min), Number(max)];
  return (raw) => {
    const s = typeof raw === 'number' ? String(raw) : text(raw);
    if (!/^[+-]?\d+$/.test(s)) return new Invalid(REASONS.integer);
    if (!big) {
      const n = Number(s);
      return n < lo || n > hi ? new Invalid(REASONS.range(type, min, max)) : n;
    }
    const n = BigInt(s);
    return n < min || n > max ? new Invalid(REASONS.range(type, min, max)) : n.toString();
  };
}

/**
 * A number read from JSON or Parquet as decimal text: Parquet decimals arrive
 * as binary floats (1.15 as 1.1500000000000001), so a number within rounding
 * error of `scale` decimals is written with exactly those.
 */
function decimalOfNumber(n: number, scale: number): string {
  if (!Number.isFinite(n)) return String(n);
  const fixed = n.toFixed(scale);
  return Math.abs(Number(fixed) - n) <= Number.EPSILON * Math.max(1, Math.abs(n)) * 8 ? (fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed) : String(n);
}

const DECIMAL_TEXT = /^[+-]?\d+(?:[.,]\d+)?$/;

function parseDecimal(precision: number, scale: number): Parse {
  return (raw) => {
    const s = typeof raw === 'number' ? decimalOfNumber(raw, scale) : text(raw);
    if (!DECIMAL_TEXT.test(s)) return new Invalid(REASONS.decimal);
    const [int, frac = ''] = s.replace(',', '.').replace(/^[+-]/, '').split('.');
    if (frac.length > scale) return new Invalid(REASONS.decimals(frac.length, scale));
    if (int.replace(/^0+(?=\d)/, '').length > precision - scale) return new Invalid(REASONS.integerDigits(precision - scale));
    return s.replace(',', '.');
  };
}

const parseFloat64: Parse = (raw) => {
  if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
  const s = text(raw);
  if (!/^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$/.test(s)) return new Invalid(REASONS.float);
  return Number(s.replace(',', '.'));
};

function isoDate(y: number, m: number, d: number): string | undefined {
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return undefined;
  return date.toISOString().slice(0, 10);
}

function parseDate(type: 'Date' | 'Date32'): Parse {
  const [min, max, range] = DATE_RANGE[type];
  return (raw) => {
    const s = raw instanceof Date ? raw.toISOString().slice(0, 10) : text(raw);
    let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
    let iso = m ? isoDate(+m[1], +m[2], +m[3]) : undefined;
    if (!m && (m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(s))) iso = isoDate(+m[3], +m[2], +m[1]);
    if (!m) return new Invalid(REASONS.date);
    if (!iso) return new Invalid(REASONS.noSuchDate);
    if (iso < min || iso > max) return new Invalid(REASONS.dateRange(range));
    return iso;
  };
}

const parseDateTime: Parse = (raw) => {
  if (raw instanceof Date) return raw.toISOString().slice(0, 19).replace('T', ' ');
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text(raw));
  if (!m || !isoDate(+m[1], +m[2], +m[3]) || +m[4] > 23 || +m[5] > 59 || +(m[6] ?? 0) > 59) return new Invalid(REASONS.dateTime);
  return `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6] ?? '00'}`;
};

const parseBool: Parse = (raw) => {
  if (typeof raw === 'boolean') return raw;
  const v = BOOL[text(raw).toLowerCase()];
  return v === undefined ? new Invalid(REASONS.bool) : v;
};

const parseString: Parse = (raw) => {
  const s = typeof raw === 'string' ? raw : text(raw);
  if (s.includes('\uFFFD')) return new Invalid(REASONS.utf8);
  return s;
};

export function parserFor(type: string): Parse {
  if (type in INT_RANGE) return parseInteger(type);
  const dec = /^Decimal\((\d+), ?(\d+)\)$/.exec(type);
  if (dec) return parseDecimal(+dec[1], +dec[2]);
  if (type === 'Float32' || type === 'Float64') return parseFloat64;
  if (type === 'Date' || type === 'Date32') return parseDate(type);
  if (type === 'DateTime') return parseDateTime;
  if (type === 'Bool') return parseBool;
  return parseString;
}

/** Empty, or \N (how ClickHouse, MySQL and PostgreSQL exports write NULL). */
const isMissing = (raw: unknown) => raw === undefined || raw === null || (typeof raw === 'string' && (raw.trim() === '' || raw === '\\N'));

interface CompiledColumn {
  column: TableColumn;
  parse: Parse;
  allowed?: (value: unknown) => string | undefined;
  emptyIsText: boolean;
}

export interface Validator {
  /** Problems with the file's columns (a required column absent), checked once. */
  checkHeader(columns: readonly string[]): string[];
  /** Columns the file has that the table does not declare (ignored). */
  ignoredColumns(columns: readonly string[]): string[];
  /** Checks a record given as an object (NDJSON, Parquet). */
  check(values: Record<string, unknown>): Checked;
  /** For files with a header (CSV): a checker of records given as arrays of fields in the header's order. */
  forHeader(header: readonly string[]): (fields: readonly unknown[]) => Checked;
}

export function compileValidator(table: TableDef, refs: ReferenceData): Validator {
  const position = new Map(table.columns.map((c, i) => [c.name, i]));
  const read: (CompiledColumn & { at: number })[] = [];
  const lookups: { column: TableColumn; map: ReadonlyMap<string, unknown>; by: number; at: number }[] = [];
  const matches: { column: TableColumn; map: ReadonlyMap<string, unknown>; by: number; at: number }[] = [];
  const conditional: { column: TableColumn; when: number; at: number; values: ReadonlySet<string> }[] = [];
  for (const column of table.columns) {
    if (column.requiredIf) conditional.push({ column, when: position.get(column.requiredIf.column)!, at: position.get(column.name)!, values: new Set(column.requiredIf.values.map(String)) });
    if (column.matches)
      matches.push({ column, by: position.get(column.matches.by)!, at: position.get(column.name)!, map: refs.lookups.get(lookupKey({ ...column.matches, column: column.name })) ?? new Map() });
    if (column.lookup) {
      lookups.push({ column, by: position.get(column.lookup.by)!, at: position.get(column.name)!, map: refs.lookups.get(lookupKey(column.lookup)) ?? new Map() });
      continue;
    }
    let allowed: CompiledColumn['allowed'];
    if (column.codes) {
      const set = refs.codes.get(codesKey(column.codes)) ?? new Set<string>();
      const source = `${column.codes.table}.${column.codes.column}`;
      allowed = (v) => (set.has(String(v)) ? undefined : REASONS.unknownCode(source));
    } else if (column.values) {
      const set = new Set(column.values.map(String));
      allowed = (v) => (set.has(String(v)) ? undefined : REASONS.notAllowed(column.values!));
    }
    read.push({ column, parse: parserFor(column.type), allowed, emptyIsText: emptyIsText(column), at: position.get(column.name)! });
  }

  /** raws[i] is the file's value for read[i]. */
  function checkRaw(raws: readonly unknown[]): Checked {
    const values: unknown[] = new Array(table.columns.length);
    let errors: Omit<Rejection, 'line'>[] | undefined;
    for (let i = 0; i < read.length; i++) {
      const { column, parse, allowed, emptyIsText, at } = read[i];
      const raw = raws[i];
      if (emptyIsText && typeof raw === 'string' && raw.trim() === '') {
        values[at] = '';
        continue;
      }
      if (isMissing(raw)) {
        if (column.required) (errors ??= []).push({ column: column.name, reason: REASONS.missing });
        else values[at] = null;
        continue;
      }
      const parsed = parse(raw);
      const problem = parsed instanceof Invalid ? parsed.error : allowed?.(parsed);
      if (problem) (errors ??= []).push({ column: column.name, reason: problem, value: text(raw).slice(0, 80) });
      else values[at] = parsed;
    }
    for (const { column, map, by, at } of lookups) {
      const key = values[by];
      const byName = column.lookup!.by;
      if (key === undefined || key === null) {
        if (column.required && !errors?.some((e) => e.column === byName)) (errors ??= []).push({ column: column.name, reason: REASONS.underivable(byName) });
        values[at] = null;
        continue;
      }
      const value = map.get(String(key));
      if (value === undefined) {
        if (!errors?.some((e) => e.column === byName))
          (errors ??= []).push({ column: byName, reason: REASONS.noLookupRow(column.lookup!.table, byName, String(key), column.name), value: String(key) });
      } else values[at] = value;
    }
    for (const { column, when, at, values: allowed } of conditional) {
      if (values[at] === null && values[when] !== undefined && allowed.has(String(values[when])))
        (errors ??= []).push({ column: column.name, reason: REASONS.requiredIf(column.requiredIf!.column, column.requiredIf!.values), value: String(values[when]) });
    }
    for (const { column, map, by, at } of matches) {
      const key = values[by];
      if (key === undefined || key === null || values[at] === undefined || values[at] === null) continue;
      const expected = map.get(String(key));
      if (expected !== undefined && String(expected) !== String(values[at]))
        (errors ??= []).push({
          column: column.name,
          reason: REASONS.mismatch(column.matches!.by, String(key), column.name, String(expected), column.matches!.table, String(values[at])),
          value: String(values[at]),
        });
    }
    return errors ? { ok: false, errors } : { ok: true, values };
  }

  return {
    checkHeader: (columns) => headerProblems(table, columns),
    ignoredColumns: (columns) => ignoredColumns(table, columns),
    check: (record) => checkRaw(read.map((c) => record[c.column.name])),
    forHeader(header) {
      const index = read.map((c) => header.indexOf(c.column.name));
      const raws: unknown[] = new Array(read.length);
      return (fields) => {
        for (let i = 0; i < index.length; i++) raws[i] = index[i] < 0 ? undefined : fields[index[i]];
        return checkRaw(raws);
      };
    },
  };
}
