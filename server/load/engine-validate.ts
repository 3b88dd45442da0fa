/**
 * The rules of a declared table as SQL the engine runs over a load's raw
 * source (server/load/raw-stage.ts): the same checks, in the same order and
 * with the same reasons as the row-by-row validator (server/load/validate.ts)
 * — types, required values, codes and allowed values, lookups, values
 * required on some rows, values that must match a reference table, and a CSV
 * record's number of fields.
 *
 * Two statements share one definition: `checkSql` reads the whole file and
 * returns one row (records, rejected rows, the first rejected rows with their
 * problems, totals by column and reason, what the line numbers need);
 * `insertSql` writes the valid rows, typed, into the staging table. Problems
 * leave the engine as codes; their Italian wording is made here, from the
 * same REASONS as the row-by-row validator.
 *
 * Every value (allowed values, bounds, spellings of yes and no) is a bound
 * parameter; identifiers come from the validated model.
 */
import { AppError } from '../errors.ts';
import { quoteIdentifier, type Engine, type QueryParams } from '../engine/client.ts';
import type { TableColumn, TableDef } from '../model/types.ts';
import { storedType } from '../tables/ddl.ts';
import type { RawSource } from './raw-stage.ts';
import { SPARE_FIELDS } from './raw-stage.ts';
import { totalKey } from './staging.ts';
import { BOOL, DATE_RANGE, emptyIsText, INT_RANGE, REASONS, type Rejection } from './validate.ts';

/** What a problem is, as the engine reports it. */
const enum Code {
  Missing = 1,
  Format = 2,
  Range = 3,
  Decimals = 4,
  IntegerDigits = 5,
  NoSuchDate = 6,
  DateRange = 7,
  Utf8 = 8,
  UnknownCode = 9,
  NotAllowed = 10,
  Underivable = 11,
  NoLookupRow = 12,
  RequiredIf = 13,
  Mismatch = 14,
  FieldCount = 15,
}

/** The column index of a problem with the record as a whole (its number of fields). */
const WHOLE_RECORD = 65535;

/** One problem of a row: column index, code, two details, the value shown. */
type EngineProblem = [number, number, string, string, string | null];

/** The one row `checkSql` returns. */
export interface CheckRow {
  records: number;
  rejected: number;
  first: [number, EngineProblem[]][];
  /** Problems without their value (but a mismatch's), and rows with each. */
  totals: [EngineProblem[], number[]];
  seen: [EngineProblem[], number[]];
  newline_rows: number;
  last_row: number;
  last_field_newline: number;
  /** Newlines inside the fields of the last record. */
  last_newlines: number;
}

export interface EngineCheck {
  checkSql: string;
  insertSql(staging: string): string;
  /** Newlines inside quoted fields before each of `rows` (sorted): `params` plus { rows }. */
  newlinesSql: string;
  params: QueryParams;
}

/** Binds values as `{pN:Type}` parameters, writing the placeholder in the same step. */
class Binder {
  readonly params: QueryParams = {};
  private n = 0;
  bind(value: unknown, type: string): string {
    const name = `v${this.n++}`;
    this.params[name] = value;
    return `{${name}:${type}}`;
  }
}

interface Typed {
  helpers: string[];
  /** Code of a present value's problem (0: none), before codes and allowed values. */
  fail: string;
  /** The value as text, as the row-by-row validator compared it (String(value)). */
  norm: string;
  /** The typed value inserted. */
  value: string;
  detail?: string;
}

const TRIM = `' \\t\\n\\r\\x0B\\f'`;

/**
 * The common case at engine speed: a value the engine's own parser reads and
 * writes back exactly as it came (no spaces, no comma, no leading zeros, no
 * sign) is valid without the row-by-row validator's finer checks, which run
 * only on the other rows (ClickHouse evaluates the branches of if/multiIf
 * only for the rows that take them). `ok` and `value` read the raw text `r{j}`
 * (or the typed column); `norm` is the value's text for codes and allowed
 * values when it is not the raw text itself.
 */
function fastPath(c: TableColumn, j: number, b: Binder, native?: { expr: string; type: string }): { ok: string; value: string; norm?: string } | undefined {
  const typed = native && typedFastPath(c, native, b);
  if (typed) return typed;
  const r = `r${j}`;
  const exact = (parsed: string) => ({ ok: `toString(${parsed}) = ${r}`, value: parsed });
  // The engine reads an integer only from [+]digits within the type's range: what the row-by-row validator accepts, same value.
  if (c.type in INT_RANGE) return { ok: `isNotNull(to${c.type}OrNull(${r}))`, value: `to${c.type}OrNull(${r})`, norm: `toString(to${c.type}OrNull(${r}))` };
  const dec = /^Decimal\((\d+), ?(\d+)\)$/.exec(c.type);
  if (dec) {
    const [precision, scale] = [Number(dec[1]), Number(dec[2])];
    const x = `to${precision <= 18 ? 'Decimal64' : precision <= 38 ? 'Decimal128' : 'Decimal256'}OrNull(${r}, ${scale})`;
    const written = scale === 0 ? `toString(${x})` : `trimRight(trimRight(toString(${x}), '0'), '.')`;
    // Trailing zeros after the point are the same number (1.50 is 1.5), as for the row-by-row validator.
    const given = scale === 0 ? r : `if(position(${r}, '.') = 0, ${r}, trimRight(trimRight(${r}, '0'), '.'))`;
    return { ok: `${written} = ${given} AND if(position(${r}, '.') = 0, length(${r}), position(${r}, '.') - 1) <= ${precision - scale}`, value: x };
  }
  if (c.type === 'Float32' || c.type === 'Float64') return exact(`toFloat64OrNull(${r})`);
  if (c.type === 'Date' || c.type === 'Date32') {
    const [min, max] = DATE_RANGE[c.type];
    const e = exact(`toDate32OrNull(${r})`);
    return { ok: `${e.ok} AND ${r} >= ${b.bind(min, 'String')} AND ${r} <= ${b.bind(max, 'String')}`, value: e.value };
  }
  if (c.type === 'DateTime') return exact(`toDateTimeOrNull(${r})`);
  if (c.type === 'Bool') return undefined;
  return { ok: `${r} != '\\\\N' AND trimBoth(${r}, ${TRIM}) != '' AND isValidUTF8(${r}) AND position(${r}, ${b.bind('\uFFFD', 'String')}) = 0`, value: r };
}

function validDate(y: string, m: string, d: string): string {
  return `(${y} >= 100 AND ${m} BETWEEN 1 AND 12 AND ${d} BETWEEN 1 AND multiIf(${m} = 2, if((${y} % 4 = 0 AND ${y} % 100 != 0) OR ${y} % 400 = 0, 29, 28), ${m} IN (4, 6, 9, 11), 30, 31))`;
}

const INTEGER = /^(Nullable\()?(U?Int(8|16|32|64))\)?$/;
const TEXT = /^(Nullable\()?(LowCardinality\()?(Nullable\()?String\)*$/;

/**
 * A typed column (Parquet) the target takes as it is: an integer within the
 * target's range, a text; its text for codes and allowed values is the
 * engine's, the same as the row-by-row validator's String(value).
 */
function typedFastPath(c: TableColumn, native: { expr: string; type: string }, b: Binder): { ok: string; value: string; norm: string } | undefined {
  const x = native.expr;
  if (c.type in INT_RANGE && INTEGER.test(native.type)) {
    const [min, max] = INT_RANGE[c.type];
    return { ok: `${x} IS NOT NULL AND toInt128(${x}) BETWEEN ${b.bind(min.toString(), 'Int128')} AND ${b.bind(max.toString(), 'Int128')}`, value: x, norm: `toString(${x})` };
  }
  const decimal = /^Decimal\((\d+), ?(\d+)\)$/.exec(c.type);
  const from = /^(?:Nullable\()?Decimal\((\d+), ?(\d+)\)\)?$/.exec(native.type);
  // A decimal that fits the target's digits; with codes or allowed values the text would differ (1.50 for 1.5): the text path.
  if (decimal && from && !c.codes && !c.values && Number(from[2]) <= Number(decimal[2]) && Number(from[1]) - Number(from[2]) <= Number(decimal[1]) - Number(decimal[2]))
    return { ok: `${x} IS NOT NULL`, value: x, norm: `toString(${x})` };
  if ((c.type === 'Date' || c.type === 'Date32') && /^(Nullable\()?Date(32)?\)?$/.test(native.type)) {
    const [min, max] = DATE_RANGE[c.type];
    return { ok: `${x} IS NOT NULL AND toString(${x}) BETWEEN ${b.bind(min, 'String')} AND ${b.bind(max, 'String')}`, value: x, norm: `toString(${x})` };
  }
  if ((c.type === 'String' || c.type === 'LowCardinality(String)') && TEXT.test(native.type)) {
    const s = `toString(${x})`;
    return { ok: `${x} IS NOT NULL AND ${s} != '\\\\N' AND trimBoth(${s}, ${TRIM}) != '' AND isValidUTF8(${s}) AND position(${s}, ${b.bind('\uFFFD', 'String')}) = 0`, value: s, norm: s };
  }
  return undefined;
}

/** Parsing of one column's text `t{j}` (raw `r{j}`), the engine's counterpart of parserFor(). */
function typed(c: TableColumn, j: number, b: Binder): Typed {
  const t = `t${j}`;
  const r = `r${j}`;
  if (c.type in INT_RANGE) {
    const [min, max] = INT_RANGE[c.type];
    const n = `n${j}`;
    return {
      helpers: [`${c.type.endsWith('64') ? 'toInt128OrNull' : 'toInt64OrNull'}(${t}) AS ${n}`],
      fail: `multiIf(NOT match(${t}, '^[+-]?[0-9]+$'), ${Code.Format}, ${n} IS NULL OR ${n} < ${b.bind(min.toString(), 'Int128')} OR ${n} > ${b.bind(max.toString(), 'Int128')}, ${Code.Range}, 0)`,
      norm: `ifNull(toString(${n}), '')`,
      value: n,
    };
  }
  const dec = /^Decimal\((\d+), ?(\d+)\)$/.exec(c.type);
  if (dec) {
    const [precision, scale] = [Number(dec[1]), Number(dec[2])];
    const [u, p, q, g] = [`u${j}`, `p${j}`, `q${j}`, `g${j}`];
    return {
      helpers: [
        `if(startsWith(${t}, '+') OR startsWith(${t}, '-'), substring(${t}, 2), ${t}) AS ${u}`,
        `position(${u}, '.') + position(${u}, ',') AS ${p}`,
        `if(${p} = 0, 0, length(${u}) - ${p}) AS ${q}`,
        `greatest(1, length(trimLeft(if(${p} = 0, ${u}, substring(${u}, 1, ${p} - 1)), '0'))) AS ${g}`,
      ],
      fail: `multiIf(NOT match(${t}, '^[+-]?[0-9]+([.,][0-9]+)?$'), ${Code.Format}, ${q} > ${scale}, ${Code.Decimals}, ${g} > ${precision - scale}, ${Code.IntegerDigits}, 0)`,
      norm: `replaceOne(${t}, ',', '.')`,
      value: `toDecimal${precision <= 38 ? 128 : 256}OrNull(replaceOne(${t}, ',', '.'), ${scale})`,
      detail: `toString(${q})`,
    };
  }
  if (c.type === 'Float32' || c.type === 'Float64') {
    const n = `n${j}`;
    return {
      helpers: [`toFloat64OrNull(replaceOne(${t}, ',', '.')) AS ${n}`],
      fail: `if(match(${t}, '^[+-]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)([eE][+-]?[0-9]+)?$') AND ${n} IS NOT NULL, 0, ${Code.Format})`,
      norm: `ifNull(toString(${n}), '')`,
      value: n,
    };
  }
  if (c.type === 'Date' || c.type === 'Date32') {
    const [min, max] = DATE_RANGE[c.type];
    const [a, o, parts, y, m, d, iso] = [`a${j}`, `o${j}`, `d${j}`, `y${j}`, `m${j}`, `dd${j}`, `iso${j}`];
    return {
      helpers: [
        `match(${t}, '^[0-9]{4}-[0-9]{2}-[0-9]{2}$') AS ${a}`,
        `match(${t}, '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}$') AS ${o}`,
        `if(${a}, splitByChar('-', ${t}), reverse(splitByChar('/', ${t}))) AS ${parts}`,
        `toUInt32OrZero(${parts}[1]) AS ${y}`,
        `toUInt32OrZero(${parts}[2]) AS ${m}`,
        `toUInt32OrZero(${parts}[3]) AS ${d}`,
        `concat(leftPad(toString(${y}), 4, '0'), '-', leftPad(toString(${m}), 2, '0'), '-', leftPad(toString(${d}), 2, '0')) AS ${iso}`,
      ],
      fail: `multiIf(NOT (${a} OR ${o}), ${Code.Format}, NOT ${validDate(y, m, d)}, ${Code.NoSuchDate}, ${iso} < ${b.bind(min, 'String')} OR ${iso} > ${b.bind(max, 'String')}, ${Code.DateRange}, 0)`,
      norm: iso,
      value: `toDate32OrNull(${iso})`,
    };
  }
  if (c.type === 'DateTime') {
    const [a, y, m, d, sec] = [`a${j}`, `y${j}`, `m${j}`, `dd${j}`, `sec${j}`];
    return {
      helpers: [
        `match(${t}, '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?$') AS ${a}`,
        `toUInt32OrZero(substring(${t}, 1, 4)) AS ${y}`,
        `toUInt32OrZero(substring(${t}, 6, 2)) AS ${m}`,
        `toUInt32OrZero(substring(${t}, 9, 2)) AS ${d}`,
        `if(length(${t}) = 19, substring(${t}, 18, 2), '00') AS ${sec}`,
      ],
      fail: `if(${a} AND ${validDate(y, m, d)} AND toUInt32OrZero(substring(${t}, 12, 2)) <= 23 AND toUInt32OrZero(substring(${t}, 15, 2)) <= 59 AND toUInt32OrZero(${sec}) <= 59, 0, ${Code.Format})`,
      norm: `concat(substring(${t}, 1, 10), ' ', substring(${t}, 12, 5), ':', ${sec})`,
      value: `toDateTimeOrNull(concat(substring(${t}, 1, 10), ' ', substring(${t}, 12, 5), ':', ${sec}))`,
    };
  }
  if (c.type === 'Bool') {
    const [all, yes] = [b.bind(Object.keys(BOOL), 'Array(String)'), b.bind(Object.keys(BOOL).filter((k) => BOOL[k]), 'Array(String)')];
    return {
      helpers: [`lowerUTF8(${t}) AS l${j}`],
      fail: `if(has(${all}, l${j}), 0, ${Code.Format})`,
      norm: `if(has(${yes}, l${j}), 'true', 'false')`,
      value: `has(${yes}, l${j})`,
    };
  }
  const text = emptyIsText(c) ? `if(${t} = '', '', ifNull(${r}, ''))` : `ifNull(${r}, '')`;
  return {
    helpers: [],
    fail: `if(isValidUTF8(ifNull(${r}, '')) AND position(ifNull(${r}, ''), ${b.bind('\uFFFD', 'String')}) = 0, 0, ${Code.Utf8})`,
    norm: text,
    value: text,
  };
}

export function compileEngineCheck(engine: Engine, table: TableDef, source: RawSource, keep: number): EngineCheck {
  const b = new Binder();
  Object.assign(b.params, source.params);
  const index = new Map(table.columns.map((c, j) => [c.name, j]));
  const inner: string[] = ['_row'];
  const csv = source.csv;
  inner.push(csv ? `${csv.fields} AS _fields, ${csv.newlines} AS _nl, ${csv.lastFieldNewline} AS _lastnl` : `0 AS _fields, 0 AS _nl, 0 AS _lastnl`);
  const problems: string[] = [];
  /** The code of each problem, in the same order (what `_bad` reads, without building the problems). */
  const codes: string[] = [];
  const value = new Map<number, string>();

  for (const [j, c] of table.columns.entries()) {
    if (c.lookup) continue;
    const t = typed(c, j, b);
    const text = source.text.get(c.name);
    inner.push(`${text ?? 'CAST(NULL AS Nullable(String))'} AS r${j}`, `trimBoth(ifNull(r${j}, ''), ${TRIM}) AS t${j}`, ...t.helpers);
    let fail = t.fail;
    const fast = fastPath(c, j, b, source.native?.get(c.name));
    const fastNorm = fast?.norm ?? `assumeNotNull(r${j})`;
    let fastOk = fast?.ok;
    if (c.codes) {
      const set = `(SELECT CAST(toString(${quoteIdentifier(c.codes.column)}) AS Nullable(String)) FROM ${engine.table(c.codes.table)})`;
      fail = `if(${fail} != 0, ${fail}, if(${t.norm} IN ${set}, 0, ${Code.UnknownCode}))`;
      if (fastOk) fastOk = `${fastOk} AND ${fastNorm} IN ${set}`;
    } else if (c.values) {
      const allowed = b.bind(c.values.map(String), 'Array(String)');
      fail = `if(${fail} != 0, ${fail}, if(has(${allowed}, ${t.norm}), 0, ${Code.NotAllowed}))`;
      if (fastOk) fastOk = `${fastOk} AND has(${allowed}, ${fastNorm})`;
    }
    const missing = `(r${j} IS NULL OR t${j} = '' OR r${j} = '\\\\N')`;
    const text0 = emptyIsText(c) ? `(r${j} IS NOT NULL AND t${j} = '')` : '0';
    const slow = {
      e: `multiIf(${text0}, 0, ${missing}, ${c.required ? Code.Missing : 0}, ${fail})`,
      st: `multiIf(e${j} != 0, 2, ${missing} AND NOT ${text0}, 1, 0)`,
    };
    inner.push(
      ...(fastOk ? [`ifNull(${fastOk}, 0) AS f${j}`] : []),
      `${fastOk ? `if(f${j}, 0, ${slow.e})` : slow.e} AS e${j}`,
      `${fastOk ? `if(f${j}, 0, ${slow.st})` : slow.st} AS st${j}`,
      `${fastOk ? `if(f${j}, ${fastNorm}, ${t.norm})` : t.norm} AS k${j}`,
      `${fastOk ? `if(f${j}, ${fast!.value}, ${t.value})` : t.value} AS x${j}`,
    );
    const shown = `CAST(substringUTF8(t${j}, 1, 80) AS Nullable(String))`;
    codes.push(`e${j}`);
    problems.push(`tuple(toUInt16(${j}), toUInt8(e${j}), ${t.detail ? `if(e${j} = ${Code.Decimals}, ${t.detail}, '')` : `''`}, '', if(e${j} = ${Code.Missing}, NULL, ${shown}))`);
    value.set(j, `x${j}`);
  }

  const joins: string[] = [];
  const outer: string[] = [];
  for (const [j, c] of table.columns.entries()) {
    if (!c.lookup) continue;
    const by = index.get(c.lookup.by)!;
    joins.push(
      `LEFT ANY JOIN (SELECT toString(${quoteIdentifier(c.lookup.by)}) AS k, any(${quoteIdentifier(c.lookup.column)}) AS v, toUInt8(1) AS hit FROM ${engine.table(c.lookup.table)} GROUP BY k) AS j${j} ON j${j}.k = s.k${by}`,
    );
    outer.push(
      `multiIf(st${by} = 2, 0, st${by} = 1, ${c.required ? Code.Underivable : 0}, j${j}.hit = 1, 0, ${Code.NoLookupRow}) AS e${j}`,
      `multiIf(st${by} = 2, 2, st${by} = 1, 1, j${j}.hit = 1, 0, 2) AS st${j}`,
      `toString(j${j}.v) AS k${j}`,
      `j${j}.v AS x${j}`,
    );
    codes.push(`e${j}`);
    problems.push(`tuple(toUInt16(${j}), toUInt8(e${j}), if(e${j} = ${Code.NoLookupRow}, k${by}, ''), '', if(e${j} = ${Code.NoLookupRow}, CAST(k${by} AS Nullable(String)), NULL))`);
    value.set(j, `x${j}`);
  }
  for (const [j, c] of table.columns.entries()) {
    if (!c.requiredIf) continue;
    const w = index.get(c.requiredIf.column)!;
    const shown = `if(st${w} = 1, 'null', k${w})`;
    outer.push(`if(st${j} = 1 AND st${w} != 2 AND has(${b.bind(c.requiredIf.values.map(String), 'Array(String)')}, ${shown}), ${Code.RequiredIf}, 0) AS c${j}`);
    codes.push(`c${j}`);
    problems.push(`tuple(toUInt16(${j}), toUInt8(c${j}), '', '', CAST(${shown} AS Nullable(String)))`);
  }
  for (const [j, c] of table.columns.entries()) {
    if (!c.matches) continue;
    const by = index.get(c.matches.by)!;
    joins.push(
      `LEFT ANY JOIN (SELECT toString(${quoteIdentifier(c.matches.by)}) AS k, toString(any(${quoteIdentifier(c.name)})) AS v, toUInt8(1) AS hit FROM ${engine.table(c.matches.table)} GROUP BY k) AS m${j} ON m${j}.k = s.k${by}`,
    );
    outer.push(`if(st${by} = 0 AND st${j} = 0 AND m${j}.hit = 1 AND m${j}.v != k${j}, ${Code.Mismatch}, 0) AS mm${j}`);
    codes.push(`mm${j}`);
    problems.push(`tuple(toUInt16(${j}), toUInt8(mm${j}), k${by}, m${j}.v, CAST(k${j} AS Nullable(String)))`);
  }

  const anyProblem = codes.map((x) => `${x} != 0`).join(' OR ') || '0';
  const expected = csv ? b.bind(csv.expected, 'UInt32') : '0';
  const wrongCount = csv ? `_fields != ${expected}` : '0';
  const list = `arrayFilter(x -> x.2 != 0, [${problems.join(', ')}])`;
  outer.push(
    `_row >= ${b.bind(source.dataFrom, 'UInt64')} AND ${csv ? '_fields > 0' : '1'} AS _data`,
    `_data AND (${wrongCount} OR ${anyProblem}) AS _bad`,
    `if(_bad, if(${wrongCount}, [tuple(toUInt16(${WHOLE_RECORD}), toUInt8(${Code.FieldCount}), toString(_fields), '', CAST(NULL AS Nullable(String)))], ${list}), []) AS _errs`,
  );
  const rows = `(SELECT s.*, ${outer.join(', ')} FROM (SELECT ${inner.join(', ')} FROM ${source.from}) AS s ${joins.join(' ')})`;
  const keys = `arrayMap(x -> (x.1, x.2, x.3, x.4, if(x.2 = ${Code.Mismatch}, ifNull(x.5, ''), '')), _errs)`;
  const checkSql = `SELECT countIf(_data) AS records, countIf(_bad) AS rejected,
      groupArraySortedIf(${b.bind(keep, 'UInt32')})((_row, _errs), _bad) AS first,
      sumMap(${keys}, arrayMap(x -> toUInt64(1), _errs)) AS totals,
      minMap(${keys}, arrayMap((x, i) -> _row * 65536 + i, _errs, arrayEnumerate(_errs))) AS seen,
      countIf(_nl > 0) AS newline_rows, max(_row) AS last_row, argMax(_lastnl, _row) AS last_field_newline, argMax(_nl, _row) AS last_newlines
    FROM ${rows} ${source.settings}`;
  const columns = table.columns.map((c) => quoteIdentifier(c.name)).join(', ');
  const values = table.columns.map((c, j) => {
    const x = value.get(j)!;
    return c.required ? `CAST(assumeNotNull(${x}) AS ${storedType(c)})` : `CAST(if(st${j} = 1, NULL, ${x}) AS ${storedType(c)})`;
  });
  const insertSql = (staging: string) =>
    `INSERT INTO ${engine.table(staging)} (${columns}) SELECT ${values.join(', ')} FROM ${rows} WHERE _data AND NOT _bad ${source.settings}`;
  const newlinesSql = `SELECT arrayFirstIndex(x -> x > _row, {rows:Array(UInt64)}) AS bucket, sum(_nl) AS n FROM (SELECT _row, ${csv?.newlines ?? '0'} AS _nl FROM ${source.from}) WHERE _nl > 0 GROUP BY bucket ${source.settings}`;
  return { checkSql, insertSql, newlinesSql, params: b.params };
}

const decimalOf = (type: string) => {
  const m = /^Decimal\((\d+), ?(\d+)\)$/.exec(type)!;
  return [Number(m[1]), Number(m[2])] as const;
};

function formatReason(type: string): string {
  if (type in INT_RANGE) return REASONS.integer;
  if (type.startsWith('Decimal')) return REASONS.decimal;
  if (type === 'Date' || type === 'Date32') return REASONS.date;
  if (type === 'DateTime') return REASONS.dateTime;
  if (type === 'Bool') return REASONS.bool;
  return REASONS.float;
}

/** The CSV the problems come from: its header's number of fields and its separator. */
export interface CsvContext {
  expected: number;
  separator: string;
}

/** The Italian reason of an engine problem, the column it names and the value shown, as the row-by-row validator gave them. */
export function describeProblem(table: TableDef, p: EngineProblem, csv?: CsvContext): Omit<Rejection, 'line'> {
  const [j, code, d1, d2, value] = p;
  if (code === Code.FieldCount) {
    const have = Number(d1);
    const expected = csv?.expected ?? 0;
    return { column: '', reason: REASONS.fieldCount(have >= expected + SPARE_FIELDS ? `almeno ${have}` : have, expected, csv?.separator ?? ',') };
  }
  const c = table.columns[j];
  const reason = (() => {
    switch (code) {
      case Code.Missing: return REASONS.missing;
      case Code.Format: return formatReason(c.type);
      case Code.Range: return REASONS.range(c.type, ...INT_RANGE[c.type]);
      case Code.Decimals: return REASONS.decimals(Number(d1), decimalOf(c.type)[1]);
      case Code.IntegerDigits: return REASONS.integerDigits(decimalOf(c.type)[0] - decimalOf(c.type)[1]);
      case Code.NoSuchDate: return REASONS.noSuchDate;
      case Code.DateRange: return REASONS.dateRange(DATE_RANGE[c.type as 'Date' | 'Date32'][2]);
      case Code.Utf8: return REASONS.utf8;
      case Code.UnknownCode: return REASONS.unknownCode(`${c.codes!.table}.${c.codes!.column}`);
      case Code.NotAllowed: return REASONS.notAllowed(c.values!);
      case Code.Underivable: return REASONS.underivable(c.lookup!.by);
      case Code.NoLookupRow: return REASONS.noLookupRow(c.lookup!.table, c.lookup!.by, d1, c.name);
      case Code.RequiredIf: return REASONS.requiredIf(c.requiredIf!.column, c.requiredIf!.values);
      case Code.Mismatch: return REASONS.mismatch(c.matches!.by, d1, c.name, d2, c.matches!.table, value ?? '');
      default: throw new AppError('INTERNAL', `unknown load problem code ${code}`);
    }
  })();
  const column = code === Code.NoLookupRow ? c.lookup!.by : c.name;
  return value === null ? { column, reason } : { column, reason, value };
}

/**
 * The rejects of a checked file as the row-by-row loader reported them: the
 * first `keep` problems in file order with their line, and totals by column
 * and reason (reasons differing only in their parenthesised detail are one
 * total), largest first, ties in order of first appearance.
 */
export function summarizeRejects(table: TableDef, row: CheckRow, lineOf: ReadonlyMap<number, number>, keep: number, csv?: CsvContext): { first: Rejection[]; totals: { column: string; reason: string; rows: number }[] } {
  const first: Rejection[] = [];
  for (const [r, problems] of row.first)
    for (const p of problems) if (first.length < keep) first.push({ line: lineOf.get(Number(r)) ?? Number(r) + 1, ...describeProblem(table, p, csv) });
  const totals = new Map<string, { column: string; reason: string; rows: number; seen: number }>();
  const [keys, counts] = row.totals;
  const seen = new Map(row.seen[0].map((k, i) => [JSON.stringify(k), Number(row.seen[1][i])]));
  keys.forEach((k, i) => {
    const { column, reason } = describeProblem(table, k, csv);
    const key = totalKey(column, reason);
    const at = seen.get(JSON.stringify(k)) ?? 0;
    const t = totals.get(key);
    if (!t) totals.set(key, { column, reason, rows: Number(counts[i]), seen: at });
    else {
      t.rows += Number(counts[i]);
      if (at < t.seen) Object.assign(t, { reason, seen: at });
    }
  });
  return { first, totals: [...totals.values()].sort((a, b) => b.rows - a.rows || a.seen - b.seen).map(({ seen: _, ...t }) => t) };
}
