/**
 * Warm-up of the result cache: after each new snapshot (start, load, hot
 * reload) compute in the background, first the cost estimate's statistics of
 * every scope (a few grouped queries per cube: query/cost.ts), then the default view of every report for
 * Italia and for each Regione, and the benchmark series (Regione, Italia) of
 * the comparison reports as an ATS of each region sees them (their engine
 * rows serve every ATS of that region: see query/execute.ts). Low priority:
 * one report at a time, a turn of the event loop between two, and none while
 * a user's request is being computed. A newer snapshot stops the run and
 * starts its own; a snapshot whose model and data are already warm is skipped.
 */
import type { Snapshot } from '../admin/registry.ts';
import { modelFingerprint, stableJson } from '../query/cache.ts';
import type { Principal, Profile } from '../security/principal.ts';
import type { Report } from './load.ts';
import { mayOpenReport } from '../security/reports.ts';
import { runReport } from './run.ts';
import { warmCostStatistics } from '../query/cost.ts';
import type { Directory } from '../security/directory.ts';

export interface WarmProgress {
  state: 'idle' | 'running' | 'done' | 'stopped';
  /** Default views to compute in this run, and how far it got. */
  total: number;
  done: number;
  failed: number;
  startedAt: string | null;
  finishedAt: string | null;
  /** The last failure, as "report (profilo ambito): message". */
  lastError: string | null;
}

export interface WarmTask {
  report: Report;
  principal: Principal;
}

export interface WarmerOptions {
  log?: (line: string) => void;
  /** Pause while users' requests are computed, ms (default 50). */
  pollMs?: number;
}

/** The default views worth computing ahead: Italia and each Regione, plus one ATS per Regione for the benchmark series. */
export function warmTasks(snapshot: Snapshot): WarmTask[] {
  const reports = [...snapshot.reports.values()];
  const model = snapshot.context.model;
  const own = (profile: Profile) => reports.filter((r) => mayOpenReport(r, { id: 'warm-up', profile }, model) && (r.level === 'tutti' || r.level === profile));
  const tasks: WarmTask[] = own('nazionale').map((report) => ({ report, principal: { id: 'warm-up', profile: 'nazionale' } }));
  const directory = snapshot.context.directory;
  const regional = own('regionale');
  const compared = own('ats').filter((r) => r.tables.some((t) => t.compare?.some((k) => k === 'regione' || k === 'italia')));
  for (const regione of directory.all('regione')) {
    for (const report of regional) tasks.push({ report, principal: { id: 'warm-up', profile: 'regionale', scope: regione.code } });
    const ats = directory.all('ats').find((a) => a.regione === regione.code);
    if (ats) for (const report of compared) tasks.push({ report, principal: { id: 'warm-up', profile: 'ats', scope: ats.code } });
  }
  return tasks;
}

/** One principal of each kind of scope: the cost statistics of a kind are computed for all its scopes at once. */
function scopeKinds(directory: Directory): Principal[] {
  const first = <T>(xs: readonly T[]) => xs.slice(0, 1);
  return [
    { id: 'warm-up', profile: 'nazionale' },
    ...first(directory.all('regione')).map((p) => ({ id: 'warm-up', profile: 'regionale' as const, scope: p.code })),
    ...first(directory.all('ats')).map((p) => ({ id: 'warm-up', profile: 'ats' as const, scope: p.code })),
    ...first(directory.all('comune')).map((p) => ({ id: 'warm-up', profile: 'comunale' as const, scope: p.code })),
    // Providers by the kind of their seat: on cubes read by seat, each kind is a different grouping.
    ...[...new Map(directory.allProviders().map((p) => [p.type, p])).values()].map((p) => ({ id: 'warm-up', profile: 'ente' as const, scope: p.code })),
  ];
}

export class Warmer {
  private run = 0;
  private warmKey: string | null = null;
  private state: WarmProgress = { state: 'idle', total: 0, done: 0, failed: 0, startedAt: null, finishedAt: null, lastError: null };
  private current: Promise<void> = Promise.resolve();

  constructor(private readonly opts: WarmerOptions = {}) {}

  /** Starts warming a snapshot (stopping a run on an older one). */
  schedule(snapshot: Snapshot): void {
    const ctx = snapshot.context;
    if (!ctx.cache) return;
    this.current = ctx.dataStatus().then((status) => {
      const key = stableJson([modelFingerprint(ctx.model), status.versions, [...snapshot.reports.values()].map((r) => r.name)]);
      if (key === this.warmKey) return;
      this.warmKey = key;
      return this.warm(snapshot, ++this.run);
    }).catch((err: Error) => this.opts.log?.(`[cache] preriscaldamento non avviato: ${err.message}`));
  }

  /** Stops the running warm-up (at the next report). */
  stop(): void {
    this.run++;
    this.warmKey = null;
    if (this.state.state === 'running') this.state = { ...this.state, state: 'stopped', finishedAt: new Date().toISOString() };
  }

  progress(): WarmProgress {
    return { ...this.state };
  }

  /** Resolves when the current run ends (tests, shutdown). */
  async settled(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.current;
      await seen;
    } while (seen !== this.current);
  }

  private async warm(snapshot: Snapshot, run: number): Promise<void> {
    const ctx = { ...snapshot.context, background: true };
    const tasks = warmTasks(snapshot);
    const t0 = performance.now();
    this.state = { state: 'running', total: tasks.length, done: 0, failed: 0, startedAt: new Date().toISOString(), finishedAt: null, lastError: null };
    try {
      await warmCostStatistics(ctx, scopeKinds(ctx.directory));
    } catch (err) {
      this.state.lastError = `statistiche della stima del costo: ${(err as Error).message}`;
    }
    for (const task of tasks) {
      await new Promise((r) => setImmediate(r));
      while (ctx.cache!.busy() && run === this.run) await new Promise((r) => setTimeout(r, this.opts.pollMs ?? 50));
      if (run !== this.run) return;
      try {
        await runReport(ctx, task.report, { filters: {} }, task.principal);
      } catch (err) {
        this.state.failed++;
        this.state.lastError = `${task.report.name} (${task.principal.profile}${task.principal.scope ? ` ${task.principal.scope}` : ''}): ${(err as Error).message}`;
      }
      if (run !== this.run) return;
      this.state.done++;
    }
    this.state = { ...this.state, state: 'done', finishedAt: new Date().toISOString() };
    this.opts.log?.(`[cache] preriscaldate ${this.state.done - this.state.failed} viste predefinite dei report in ${((performance.now() - t0) / 1000).toFixed(1)} s${this.state.failed ? ` (${this.state.failed} non riuscite: ${this.state.lastError})` : ''}`);
  }
}
