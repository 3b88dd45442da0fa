/**
 * The data path of a cube query: validate -> plan -> secure -> compile ->
 * execute -> (disclosure control) -> result. Routes call `runQuery` and only
 * format what it returns.
 */
import type { Engine } from '../engine/client.ts';
import { answerKey, cachedAnswer, engineRowsKey, type ResultCache } from './cache.ts';
import { limitError } from '../engine/limits.ts';
import { missingTableError } from './engine-errors.ts';
import { AppError } from '../errors.ts';
import type { Cube, Disclosure, Model } from '../model/types.ts';
import type { Directory } from '../security/directory.ts';
import type { Principal } from '../security/principal.ts';
import { isPerturbed, perturbationInfo } from '../security/disclosure.ts';
import { applyDisclosure, appliesRule, secure, type SecuredPlan } from '../security/gate.ts';
import { admitCost, schedulingCost, type CostEstimate } from './cost.ts';
import { compileAggregate, DIMENSION_ALIAS, GROUPING_ALIAS, MEASURE_ALIAS, type CompiledQuery } from './compile.ts';
import { compileSharedScan, scanSignature, sharedScanMaxRows, type SharedScan } from './shared-scan.ts';
import type { LabelCache } from './labels.ts';
import type { AggregatePlan, PlanDimension, PlanOrder } from '../plan/plan.ts';
import type { QueryPlan } from '../plan/plan.ts';
import { declaredKeys, findDimension } from '../plan/predicates.ts';
import { planQuery } from './planner.ts';
import type { Label, QueryResult, ResultColumn, ResultRow } from '../plan/result.ts';
import type { QuerySpec } from '../plan/spec.ts';
import { Timing } from './timing.ts';

export interface DataStatus {
  demo: boolean;
  /** ISO timestamp of the last load of each source. */
  sources: Record<string, string>;
  /** Data version of each source: the id of its last load. */
  versions: Record<string, string>;
  /** Whether the last load of each source was generated demo data. */
  generated: Record<string, boolean>;
}

/** Whether the data of a source are generated: by its own last load, else by the benefit records (the demo as a whole). */
export const isDemo = (status: DataStatus, source: string): boolean => status.generated[source] ?? status.demo;

export interface QueryContext {
  engine: Engine;
  model: Model;
  directory: Directory;
  labels: LabelCache;
  /** Deployment setting, off by default: the Nazionale profile sees exact figures. */
  nationalExemptFromDisclosure?: boolean;
  /** The installation's secret the record keys of the cell key method derive from. */
  cellKeySecret: string;
  dataStatus(): Promise<DataStatus>;
  /** Protected answers kept in memory (server/query/cache.ts); none: every answer is computed. */
  cache?: ResultCache;
  /**
   * Where the engine's rows of a benchmark plan are kept: they do not depend on the caller (the gate takes
   * the caller's own territory out afterwards), so every ATS of a Regione shares one computation.
   */
  sharedRows?: ResultCache;
  /** Work of the warm-up, which yields to users' requests. */
  background?: boolean;
  /**
   * `runQueries` shares a scan only when the caller's scope holds at most this many fact rows
   * (default: what the engine's memory limit allows, `sharedScanMaxRows`; 0: never, every query runs alone).
   */
  sharedScanMaxRows?: number;
}

type RawRow = Record<string, unknown>;

/** A query planned and secured, with how its answer is ordered and paged: what `runPrepared` runs. */
interface PreparedQuery {
  readonly cubeName: string;
  readonly spec: QuerySpec;
  readonly secured: SecuredPlan;
  readonly rule: Disclosure | undefined;
  readonly plan: QueryPlan;
  readonly latePaging: boolean;
  readonly lateOrder: readonly PlanOrder[] | null;
}

function prepareQuery(ctx: QueryContext, cubeName: string, spec: QuerySpec, principal: Principal): PreparedQuery {
  const secured = secure(planQuery(ctx.model, cubeName, spec), principal, ctx);
  const rule = appliesRule(secured.disclosure) ? secured.disclosure.rule : undefined;
  // A protected answer is ordered by its published figures and paged after perturbation (a page never shows where cells were left out).
  const latePaging = secured.lateOrder !== null || rule !== undefined;
  const lateOrder = secured.lateOrder?.order ?? (rule ? secured.main.order : null);
  const isDimension = (name: string) => secured.main.dimensions.some((d) => d.name === name);
  const plan: QueryPlan = {
    ...secured,
    main: rule ? { ...secured.main, order: secured.main.order.filter((o) => isDimension(o.by)), limit: undefined, offset: undefined } : latePaging ? { ...secured.main, limit: undefined, offset: undefined } : secured.main,
  };
  return { cubeName, spec, secured, rule, plan, latePaging, lateOrder };
}

interface RunOptions {
  /** Aborted when the caller has gone away, so a query still waiting its turn is never run. */
  signal?: AbortSignal;
  /** Where the time went (cache, estimate, queue, engine), for the Server-Timing header. */
  timing?: Timing;
  /** The main plan's engine rows from a scan shared with other plans (`runQueries`); undefined: the plan runs its own query. */
  sharedScan?: (cost: CostEstimate, timing: Timing) => Promise<RawRow[] | undefined>;
}

export async function runQuery(ctx: QueryContext, cubeName: string, spec: QuerySpec, principal: Principal, opts: Omit<RunOptions, 'sharedScan'> = {}): Promise<QueryResult> {
  return runPrepared(ctx, prepareQuery(ctx, cubeName, spec, principal), principal, opts);
}

/**
 * Several queries of one caller on one cube, answered as `runQuery` answers each (same figures, same
 * cache entries), with the engine work of those that read the same rows shared: the ones not already
 * kept whose secured plans have the same table, filters and scope run as one engine query
 * (./shared-scan.ts). Each is still admitted by its own cost estimate and protected on its own.
 */
export async function runQueries(ctx: QueryContext, cubeName: string, specs: readonly QuerySpec[], principal: Principal): Promise<QueryResult[]> {
  const prepared = specs.map((spec) => prepareQuery(ctx, cubeName, spec, principal));
  const scans = new Map<number, NonNullable<RunOptions['sharedScan']>>();
  const groups = new Map<string, number[]>();
  for (const [i, p] of prepared.entries()) {
    if (ctx.sharedScanMaxRows === 0) break;
    // Benchmark plans keep their own path: their engine rows are shared between callers (`sharedRows`).
    if (!p.rule || p.secured.disclosure.territory) continue;
    const signature = scanSignature(p.plan.main);
    if (signature === undefined || (ctx.cache && ctx.cache.has(await answerKey(ctx, p.plan)))) continue;
    groups.set(signature, [...(groups.get(signature) ?? []), i]);
  }
  for (const members of groups.values()) {
    const scan = compileSharedScan(members.map((i) => prepared[i].plan.main), ctx.engine.table);
    if (!scan) continue;
    let rows: Promise<RawRow[][] | undefined> | undefined;
    members.forEach((i, k) => {
      // The first member to need its rows runs the scan for all, at the cost of all of them.
      scans.set(i, (cost, timing) => (rows ??= runSharedScan(ctx, scan, members.length, cost, principal, timing)).then((r) => r?.[k]));
    });
  }
  return Promise.all(prepared.map((p, i) => runPrepared(ctx, p, principal, { sharedScan: scans.get(i) })));
}

/**
 * The shared scan's rows for each plan; undefined when the scope is too large for sharing to pay
 * (`sharedScanMaxRows`) or the combined query is over the engine's limits (its grouping sets together
 * need more memory or groups than any one of them): then each plan runs its own query, as it would
 * without sharing.
 */
async function runSharedScan(ctx: QueryContext, scan: SharedScan, plans: number, cost: CostEstimate, principal: Principal, timing: Timing): Promise<RawRow[][] | undefined> {
  if (cost.scanned > (ctx.sharedScanMaxRows ?? sharedScanMaxRows(ctx.engine.limits))) return undefined;
  const slot = await timing.time('queue', () => ctx.engine.scheduler.acquire({ principal: principal.id, cost: schedulingCost(cost) * plans }));
  try {
    return scan.split(await timing.time('engine', () => executeCompiled(ctx.engine, scan.compiled, undefined, slot.threads)));
  } catch (err) {
    if (err instanceof AppError && err.code === 'QUERY_TOO_LARGE') return undefined;
    throw err;
  } finally {
    slot.release();
  }
}

async function runPrepared(ctx: QueryContext, prepared: PreparedQuery, principal: Principal, opts: RunOptions): Promise<QueryResult> {
  const { cubeName, spec, secured, rule, plan, latePaging, lateOrder } = prepared;
  // A cached computation may be shared by identical requests in flight: one client hanging up does not cancel it.
  const timing = opts.timing ?? new Timing();
  if (ctx.cache) {
    let computed = false;
    const answer = await cachedAnswer(ctx, plan, () => ((computed = true), runPrepared({ ...ctx, cache: undefined, sharedRows: ctx.cache }, prepared, principal, { timing, sharedScan: opts.sharedScan })));
    timing.note('cache', computed ? 'miss' : 'hit');
    return answer;
  }
  const time = <T>(name: string, fn: () => Promise<T>) => timing.time(name, fn);
  const engineRows = async (): Promise<RawRow[][]> => {
    // Refused before it runs when too large; then it waits its turn in the scheduler, cheapest first.
    const cost = await time('estimate', () => admitCost(ctx, plan, principal, ctx.engine.limits));
    // A shared scan waits for its own turn; the cross-cube denominators (small) then take a slot of their own.
    const shared = opts.sharedScan && (await opts.sharedScan(cost, timing));
    if (shared && !plan.crossRatios.length) return [shared];
    const slot = await time('queue', () => ctx.engine.scheduler.acquire({ principal: principal.id, cost: schedulingCost(cost), signal: opts.signal }));
    try {
      return await time('engine', () => Promise.all([shared ?? execute(ctx.engine, plan.main, slot.threads), ...plan.crossRatios.map((r) => execute(ctx.engine, r.plan, slot.threads))]));
    } finally {
      slot.release();
    }
  };
  const shared = secured.disclosure.territory && ctx.sharedRows;
  const [mainRows, ...denominators] = shared ? await shared.get(await engineRowsKey(ctx, plan), engineRows, { background: ctx.background }) : await engineRows();

  const dims = plan.main.dimensions;
  // Engine rows to published rows: disclosure control, cross ratios, ordering and paging.
  const { rows, suppression, truncated } = timing.timeSync('protect', () => {
    const truncatedInEngine = plan.main.limit !== undefined && mainRows.length > plan.main.limit;
    const measures = [...plan.main.measures.map((m) => m.name), ...plan.main.ratios.map((r) => r.name), ...plan.crossRatios.map((r) => r.name)];
    const disclosed = applyDisclosure((truncatedInEngine ? mainRows.slice(0, plan.main.limit) : mainRows).map(resultRowReader(plan)), plan.main, measures, secured.disclosure);
    let rows: ResultRow[] = disclosed.rows;
    const suppression = disclosed.suppression;

    plan.crossRatios.forEach((ratio, i) => {
      const index = new Map<string, number>();
      const read = resultRowReader({ ...plan, main: ratio.plan }, false);
      for (const raw of denominators[i]) index.set(sharedKey(ratio.sharedDimensions, read(raw)), Number(raw[MEASURE_ALIAS(ratio.measure)]));
      for (const row of rows) {
        const den = index.get(sharedKey(ratio.sharedDimensions, row));
        const num = row[ratio.numerator] as number | null;
        row[ratio.name] = den && num !== null ? num / den : null;
      }
    });

    let truncated = truncatedInEngine;
    if (latePaging) {
      if (lateOrder?.length) rows = stableSort(rows, lateOrder, plan.main.dimensions);
      truncated = rows.length > spec.offset + spec.limit;
      rows = rows.slice(spec.offset, spec.offset + spec.limit);
    }

    // Base measures needed only to compute a ratio are not part of the answer.
    const outputs = new Set(plan.outputs);
    for (const row of rows) for (const m of plan.main.measures) if (!outputs.has(m.name)) delete row[m.name];
    return { rows, suppression, truncated };
  });

  const cube = plan.cube;
  const labels: Record<string, Record<string, Label>> = {};
  const filterDims = [...new Set(spec.filters.map((f) => f.dimension))];
  await timing.time('labels', () => Promise.all(
    [...new Set([...dims.map((d) => d.name), ...filterDims])].map(async (name) => {
      const dim = findDimension(cube, name);
      const keys = new Set<string | number>();
      for (const row of rows) if (row[name] !== null && row[name] !== undefined) keys.add(row[name] as string | number);
      for (const f of spec.filters) if (f.dimension === name) for (const v of 'values' in f ? f.values : [f.value]) keys.add(v);
      labels[name] = await ctx.labels.lookup(dim, [...keys]);
    }),
  ));

  const status = await ctx.dataStatus();
  return {
    cube: cube.name,
    cubeLabel: cube.label,
    columns: resultColumns(cube, plan, rule),
    rows,
    labels,
    filters: describeFilters(cube, spec, labels),
    dataDate: status.sources[cube.source] ?? '',
    dataVersion: status.versions[cube.source] ?? '',
    demo: isDemo(status, cube.source),
    truncated,
    ...(suppression ? { suppression } : {}),
    ...(rule ? { perturbation: perturbationInfo(rule) } : {}),
  };
}

async function execute(engine: Engine, plan: AggregatePlan, threads: number): Promise<RawRow[]> {
  // Ask for one row more than the limit to know whether the answer was cut.
  return executeCompiled(engine, compileAggregate(plan.limit !== undefined ? { ...plan, limit: plan.limit + 1 } : plan, engine.table), plan, threads);
}

/** `plan`: the one plan the query answers, for the message when its table is missing. */
async function executeCompiled(engine: Engine, compiled: CompiledQuery, plan: AggregatePlan | undefined, threads: number): Promise<RawRow[]> {
  try {
    return await engine.query<RawRow>(compiled.sql, compiled.params, { limited: true, maxThreads: threads });
  } catch (err) {
    const message = (err as Error).message.split('\n')[0];
    const missing = plan && missingTableError(err, plan.cube, plan.table);
    if (missing) throw missing;
    const limit = limitError(err, engine.limits);
    if (limit) throw limit;
    throw new AppError('ENGINE_ERROR', `Il motore di calcolo non ha potuto eseguire la query: ${message}`);
  }
}

/**
 * Engine rows to result rows: dimension keys typed, rolled-up dimensions null (and listed in
 * `rollup`), measures as numbers (hidden cell keys and unit lists as they are). The column names
 * and types are worked out once per plan, not once per row: a national answer has tens of
 * thousands of rows.
 */
function resultRowReader(plan: QueryPlan, withMeasures = true): (raw: RawRow) => ResultRow {
  const dims = plan.main.dimensions.map((d, i, all) => ({ name: d.name, alias: DIMENSION_ALIAS(d.name), integer: plan.cube.dimensions.get(d.name)?.type === 'integer', bit: all.length - 1 - i }));
  const measures = withMeasures ? plan.main.measures.map((m) => ({ name: m.name, alias: MEASURE_ALIAS(m.name), aggregate: m.aggregate })) : [];
  const ratios = withMeasures ? plan.main.ratios.map((r) => ({ name: r.name, alias: MEASURE_ALIAS(r.name) })) : [];
  return (raw) => {
    const row: ResultRow = {};
    // grouping(d1, …, dn) sets bit (n-1-i) when dimension i is rolled up.
    const grouping = Number(raw[GROUPING_ALIAS] ?? 0);
    let rollup: string[] | undefined;
    for (const d of dims) {
      if ((grouping >> d.bit) & 1) {
        (rollup ??= []).push(d.name);
        row[d.name] = null;
        continue;
      }
      const v = raw[d.alias];
      row[d.name] = v === null || v === undefined ? null : d.integer ? Number(v) : String(v);
    }
    for (const m of measures) {
      const v = raw[m.alias];
      // A hidden list (a benchmark cell's units) stays a list until the gate has counted it.
      row[m.name] = m.aggregate === 'cellKey' ? String(v) : m.aggregate === 'groupUniqArray' ? (v as never) : numberOrNull(v, m.aggregate === 'sum');
    }
    for (const r of ratios) row[r.name] = numberOrNull(raw[r.alias], false);
    if (rollup) row.rollup = rollup;
    return row;
  };
}

function numberOrNull(v: unknown, money: boolean): number | null {
  if (v === null || v === undefined) return null;
  const n = Number(v);
  if (!Number.isFinite(n)) return null;
  // Float sums of cents carry binary noise; amounts are rounded to the cent.
  return money ? Math.round(n * 100) / 100 : n;
}

function sharedKey(dims: readonly string[], row: ResultRow): string {
  const rolled = new Set(row.rollup ?? []);
  return JSON.stringify(dims.map((d) => (rolled.has(d) ? ['*'] : row[d])));
}

function stableSort(rows: ResultRow[], order: readonly { by: string; direction: 'asc' | 'desc' }[], dimensions: readonly PlanDimension[]): ResultRow[] {
  // Dimensions with declared members sort in member order, as in SQL.
  const rank = new Map(dimensions.flatMap((d) => (d.sortExpr.kind === 'member_order' ? [[d.name, d.sortExpr.keys] as const] : [])));
  const sortKey = (row: ResultRow, by: string) => {
    const v = row[by] as number | string | null;
    const keys = rank.get(by);
    return keys && v !== null ? keys.indexOf(v) : v;
  };
  return rows
    .map((row, i) => ({ row, i }))
    .sort((a, b) => {
      // Total and subtotal rows stay after the detail rows.
      const ra = a.row.rollup ? 1 : 0;
      const rb = b.row.rollup ? 1 : 0;
      if (ra !== rb) return ra - rb;
      for (const o of order) {
        const x = sortKey(a.row, o.by);
        const y = sortKey(b.row, o.by);
        if (x === y) continue;
        if (x === null) return 1;
        if (y === null) return -1;
        const c = x < y ? -1 : 1;
        return o.direction === 'desc' ? -c : c;
      }
      return a.i - b.i;
    })
    .map((x) => x.row);
}

function resultColumns(cube: Cube, plan: QueryPlan, rule: Disclosure | undefined): ResultColumn[] {
  const cols: ResultColumn[] = plan.main.dimensions.map((d) => {
    const dim = cube.dimensions.get(d.name)!;
    const members = declaredKeys(dim);
    return { name: d.name, kind: 'dimension', axis: d.axis, label: dim.label, format: 'text', definition: dim.description, type: dim.type, ...(members ? { members: [...members] } : {}) };
  });
  for (const name of plan.outputs) {
    const m = cube.measures.get(name)!;
    const parts = m.kind === 'ratio' ? [cube.measures.get(m.numerator)!, ...(m.denominator.cube ? [] : [cube.measures.get(m.denominator.measure)!])] : [m];
    const perturbed = rule !== undefined && parts.some((p) => isPerturbed(rule, { name: p.name, kind: p.kind }));
    cols.push({ name, kind: 'measure', label: m.label, format: m.format, definition: m.definition, additive: m.additive, ...(rule ? { perturbed } : {}) });
  }
  return cols;
}

const OP_TEXT: Record<QuerySpec['filters'][number]['op'], string> = {
  eq: '',
  in: '',
  not_in: 'esclusi ',
  gte: 'da ',
  lte: 'fino a ',
  between: 'tra ',
};

function describeFilters(cube: Cube, spec: QuerySpec, labels: Record<string, Record<string, Label>>): string[] {
  return spec.filters.map((f) => {
    const dim = cube.dimensions.get(f.dimension)!;
    const values = ('values' in f ? f.values : [f.value]).map((v) => labels[f.dimension]?.[String(v)]?.it ?? String(v));
    const joined = f.op === 'between' ? values.join(' e ') : values.join(', ');
    return `${dim.label.it}: ${OP_TEXT[f.op]}${joined}`;
  });
}
