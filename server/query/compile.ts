/**
 * Plan -> ClickHouse SQL. The only place SQL text of a read is produced
 * (aggregate plans of queries and member lists, select plans of the other
 * reads); every value becomes a `{pN:Type}` placeholder and is pushed to the
 * parameters in the same step. Identifiers come only from the validated model.
 */
import { quoteIdentifier } from '../engine/client.ts';
import { invariant } from '../errors.ts';
import { PLAN_FUNCTIONS, type AggregatePlan, type ExprNode, type ParamType, type PlanDimension, type PlanMeasure, type PredicateNode } from '../plan/plan.ts';
import type { GatedSelect, SelectSource } from '../plan/select.ts';

export interface CompiledQuery {
  readonly sql: string;
  readonly params: Record<string, unknown>;
}

export const DIMENSION_ALIAS = (name: string) => `d_${name}`;
export const MEASURE_ALIAS = (name: string) => `m_${name}`;
export const GROUPING_ALIAS = '__grouping';

class Compiler {
  readonly params: Record<string, unknown> = {};
  private n = 0;
  private readonly shared = new Map<string, string>();

  constructor(private readonly prefix = 'p') {}

  bind(value: unknown, type: string): string {
    const name = `${this.prefix}${this.n++}`;
    this.params[name] = value;
    return `{${name}:${type}}`;
  }

  /** One placeholder for one value: expressions that use it are textually equal, so the engine computes them once. */
  bindShared(value: string, type: string): string {
    const id = `${type}:${value}`;
    let placeholder = this.shared.get(id);
    if (!placeholder) this.shared.set(id, (placeholder = this.bind(value, type)));
    return placeholder;
  }

  expr(node: ExprNode): string {
    switch (node.kind) {
      case 'column':
        return quoteIdentifier(node.column);
      case 'sql':
        return `(${node.sql})`;
      case 'scope_relative':
        invariant(node.scope, 'scope-relative dimension reached the compiler without a scope: the scope rewrite was skipped');
        return node.scope === 'all' ? 'toUInt8(1)' : `if(${quoteIdentifier(node.scope.column)} = ${this.bind(node.scope.code, 'String')}, 1, 2)`;
      case 'bands': {
        const col = quoteIdentifier(node.column);
        const parts: string[] = [];
        if (node.missing !== undefined) parts.push(`isNull(${col})`, this.bind(node.missing, 'String'));
        node.ranges.forEach((r, i) => {
          if (i < node.ranges.length - 1) parts.push(`${col} <= ${numberLiteral(r.to!)}`, this.bind(r.key, 'String'));
          else parts.push(this.bind(r.key, 'String'));
        });
        return parts.length === 1 ? parts[0] : `multiIf(${parts.join(', ')})`;
      }
      case 'value':
        return this.bind(node.value, node.type);
      case 'call':
        // The type allows only listed names; checked again because the SQL text depends on it.
        invariant(PLAN_FUNCTIONS.includes(node.fn), `function ${JSON.stringify(node.fn)} is not one a plan may call`);
        return `${node.fn}(${node.args.map((a) => this.expr(a)).join(', ')})`;
    }
  }

  measure(m: PlanMeasure): string {
    // Bound in the order they appear in the SQL text.
    const cond = () => (m.where ? `, ${this.predicate(m.where)}` : '');
    const fn = (name: string) => `${name}${m.where ? 'If' : ''}`;
    switch (m.aggregate) {
      case 'cellKey': {
        const { secret, units, distinct } = m.key!;
        // A record (several columns) is first reduced to one unkeyed 64-bit value: keyed hashing of one number
        // instead of six columns is 4× faster (measured: 876 → 204 ms over 2M rows), and the key stays secret.
        const unit = units.length === 1 ? this.expr(units[0]) : `cityHash64(${units.map((u) => this.expr(u)).join(', ')})`;
        const hash = `sipHash64Keyed((${this.bindShared(secret[0], 'UInt64')}, ${this.bindShared(secret[1], 'UInt64')}), ${unit})`;
        // UInt64 sums wrap: the key is the sum mod 2^64, as text (JSON numbers cannot hold 64 bits).
        return `toString(${fn(distinct ? 'sumWithOverflowDistinct' : 'sumWithOverflow')}(${hash}${cond()}))`;
      }
      case 'topContribution': {
        const by = this.expr(m.by!);
        const arg = this.expr(m.arg!);
        // The Map form of sumMap: 2.4× faster than the pair of arrays (measured: 1,094 → 449 ms over 2M rows).
        return `arrayMax(mapValues(${fn('sumMap')}(map(${by}, toFloat64(${arg}))${cond()})))`;
      }
      case 'sum': {
        const arg = this.expr(m.arg!);
        return `toFloat64(${fn('sum')}(${arg}${cond()}))`;
      }
      default: {
        const arg = m.arg ? this.expr(m.arg) : '';
        return m.where ? `${m.aggregate}If(${arg ? `${arg}, ` : ''}${this.predicate(m.where)})` : `${m.aggregate}(${arg})`;
      }
    }
  }

  predicate(node: PredicateNode): string {
    switch (node.kind) {
      case 'in':
        return `${this.expr(node.expr)} ${node.negate ? 'NOT IN' : 'IN'} ${this.bind(node.values, `Array(${node.type})`)}`;
      case 'compare':
        return `${this.expr(node.expr)} ${node.op} ${this.bind(node.value, node.type)}`;
      case 'match':
        return node.mode === 'contains'
          ? `positionCaseInsensitiveUTF8(${this.expr(node.expr)}, ${this.bind(node.text, 'String')}) > 0`
          : `startsWith(${this.expr(node.expr)}, ${this.bind(node.text, 'String')})`;
      case 'and':
        return node.items.length ? `(${node.items.map((i) => this.predicate(i)).join(' AND ')})` : '1';
      case 'or':
        return node.items.length ? `(${node.items.map((i) => this.predicate(i)).join(' OR ')})` : '0';
      case 'false':
        return '0';
    }
  }
}

function numberLiteral(n: number): string {
  invariant(Number.isFinite(n), `invalid number in model: ${n}`);
  return String(n);
}

/** `table` maps a model table name to its qualified SQL name (the engine knows the database). */
export function compileAggregate(plan: AggregatePlan, table: (name: string) => string): CompiledQuery {
  const c = new Compiler();
  const dimSql = new Map<string, string>(plan.dimensions.map((d) => [d.name, c.expr(d.expr)]));
  const select: string[] = plan.dimensions.map((d) => `${dimSql.get(d.name)} AS ${quoteIdentifier(DIMENSION_ALIAS(d.name))}`);
  const grouped = plan.groupingSets !== null && plan.dimensions.length > 0;
  const aliasOf = (name: string) => quoteIdentifier(DIMENSION_ALIAS(name));
  if (grouped) select.push(`grouping(${plan.dimensions.map((d) => aliasOf(d.name)).join(', ')}) AS ${GROUPING_ALIAS}`);

  const measureSql = new Map<string, string>();
  for (const m of plan.measures) {
    measureSql.set(m.name, c.measure(m));
    select.push(`${measureSql.get(m.name)} AS ${quoteIdentifier(MEASURE_ALIAS(m.name))}`);
  }
  for (const r of plan.ratios) {
    const num = measureSql.get(r.numerator)!;
    const den = measureSql.get(r.denominator)!;
    select.push(`if(${den} = 0, NULL, ${num} / ${den}) AS ${quoteIdentifier(MEASURE_ALIAS(r.name))}`);
  }

  let sql = `SELECT ${select.join(', ')}\nFROM ${table(plan.table)}`;
  if (plan.where.length) sql += `\nWHERE ${plan.where.map((p) => c.predicate(p)).join(' AND ')}`;
  if (plan.dimensions.length) {
    if (grouped) sql += `\nGROUP BY GROUPING SETS (${plan.groupingSets!.map((s) => `(${s.map(aliasOf).join(', ')})`).join(', ')})`;
    else sql += `\nGROUP BY ${plan.dimensions.map((d) => aliasOf(d.name)).join(', ')}`;
  }

  const order: string[] = [];
  if (plan.order.length && grouped) order.push(`${GROUPING_ALIAS} != 0`);
  for (const o of plan.order) {
    const isDim = plan.dimensions.find((d) => d.name === o.by);
    const target = isDim ? sortSql(c, isDim, aliasOf(isDim.name)) : quoteIdentifier(MEASURE_ALIAS(o.by));
    order.push(`${target} ${o.direction === 'desc' ? 'DESC' : 'ASC'}`);
  }
  for (const d of plan.dimensions) {
    if (grouped) order.push(`grouping(${aliasOf(d.name)})`);
    order.push(sortSql(c, d, aliasOf(d.name)));
  }
  if (order.length) sql += `\nORDER BY ${order.join(', ')}`;
  if (plan.limit !== undefined) sql += `\nLIMIT ${c.bind(plan.limit, 'UInt64')}`;
  if (plan.offset) sql += ` OFFSET ${c.bind(plan.offset, 'UInt64')}`;
  if (grouped) sql += `\nSETTINGS group_by_use_nulls = 1`;
  return { sql, params: c.params };
}

function sortSql(c: Compiler, d: PlanDimension, alias: string): string {
  const s = d.sortExpr;
  if (s.kind === 'member_order') return `indexOf(${c.bind(s.keys, `Array(${s.type as ParamType})`)}, ${alias})`;
  return alias;
}

/** A stand-alone predicate (e.g. a scope restriction on a member table), with its own parameter prefix. */
export function compilePredicate(node: PredicateNode, prefix: string): CompiledQuery {
  const c = new Compiler(prefix);
  return { sql: c.predicate(node), params: c.params };
}

/**
 * A select plan the gate has passed -> SQL. `table` maps a model table name to
 * its qualified SQL name; the catalog is the engine's `system.tables`.
 */
export function compileSelect(plan: GatedSelect, table: (name: string) => string): CompiledQuery {
  invariant(plan.columns.length > 0, 'a select plan names no column');
  const c = new Compiler();
  const columns = plan.columns.map((col) => `${c.expr(col.expr)} AS ${quoteIdentifier(col.alias)}`);
  let sql = `SELECT ${columns.join(', ')}\nFROM ${source(plan.from, table)}`;
  if (plan.where.length) sql += `\nWHERE ${plan.where.map((p) => c.predicate(p)).join(' AND ')}`;
  if (plan.groupBy?.length) sql += `\nGROUP BY ${plan.groupBy.map((e) => c.expr(e)).join(', ')}`;
  if (plan.order?.length) sql += `\nORDER BY ${plan.order.map((o) => `${c.expr(o.expr)} ${o.direction === 'desc' ? 'DESC' : 'ASC'}`).join(', ')}`;
  if (plan.limit !== undefined) sql += `\nLIMIT ${c.bind(plan.limit, 'UInt64')}`;
  return { sql, params: c.params };
}

function source(from: SelectSource, table: (name: string) => string): string {
  switch (from.kind) {
    case 'table':
      return table(from.name);
    case 'catalog':
      return `system.${quoteIdentifier(from.name)}`;
  }
}
