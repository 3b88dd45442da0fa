/**
 * The model the server answers with, swapped whole when `cubes/` changes.
 * Each request takes the current snapshot once (routes call `context()` once),
 * so a request that started on the old model finishes on it. An invalid change
 * is refused: the old snapshot keeps serving and the errors, in the words of
 * `npm run cubes -- check`, wait at GET /v1/admin/status.
 */
import { watch, type FSWatcher } from 'node:fs';
import { join, resolve } from 'node:path';
import { createQueryContext } from '../context.ts';
import type { Engine } from '../engine/client.ts';
import { formatIssue, loadModel, ModelError } from '../model/load.ts';
import type { Model } from '../model/types.ts';
import { ResultCache } from '../query/cache.ts';
import type { QueryContext } from '../query/execute.ts';
import { loadReports, type Report } from '../reports/load.ts';
import { Warmer } from '../reports/warm.ts';

export interface Snapshot {
  readonly model: Model;
  readonly reports: Map<string, Report>;
  readonly context: QueryContext;
  /** 1 at start, +1 at each accepted change. */
  readonly version: number;
  readonly loadedAt: string;
}

export interface RefusedChange {
  /** When the change was refused (ISO 8601). */
  at: string;
  /** One line per error, as `npm run cubes -- check` prints them. */
  issues: string[];
}

export interface RegistryOptions {
  dir: string;
  engine: Engine;
  nationalExemptFromDisclosure?: boolean;
  /** Secret of the cell key method's record keys (see server/security/auth-config.ts). */
  cellKeySecret?: string;
  log?: (line: string) => void;
  /** Quiet time after the last file event before reloading (default 150 ms). */
  debounceMs?: number;
  /** Memory bound of the result cache, bytes (default 256 MiB); 0: no cache. */
  cacheBytes?: number;
  /** Warm the cache in the background with each snapshot put in service (start, hot reload, after a load); default off. */
  warm?: boolean;
}

/** Model and reports of a directory, or the errors that stop them. */
function readModel(dir: string): { model: Model; reports: Map<string, Report> } {
  const model = loadModel({ dir });
  return { model, reports: loadReports(join(dir, 'reports'), model) };
}

export class ModelRegistry {
  private current: Snapshot;
  private refused: RefusedChange | null = null;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<unknown> = Promise.resolve();

  /** The warm-up of the result cache, when enabled. */
  readonly warmer: Warmer | undefined;

  private constructor(private readonly opts: RegistryOptions, first: Snapshot, readonly cache: ResultCache | undefined) {
    this.current = first;
    this.warmer = opts.warm && cache ? new Warmer({ log: opts.log }) : undefined;
  }

  /** Loads the model at start; an invalid model throws ModelError (the server does not start on it). */
  static async open(opts: RegistryOptions): Promise<ModelRegistry> {
    const { model, reports } = readModel(opts.dir);
    // One cache for every snapshot: its keys carry the model and data versions, so a new snapshot never sees an old answer.
    const cache = opts.cacheBytes === 0 ? undefined : new ResultCache({ maxBytes: opts.cacheBytes });
    const context = await createQueryContext(opts.engine, model, { nationalExemptFromDisclosure: opts.nationalExemptFromDisclosure, cellKeySecret: opts.cellKeySecret, cache });
    const registry = new ModelRegistry(opts, { model, reports, context, version: 1, loadedAt: new Date().toISOString() }, cache);
    registry.warmer?.schedule(registry.current);
    return registry;
  }

  get dir(): string {
    return resolve(this.opts.dir);
  }

  snapshot(): Snapshot {
    return this.current;
  }

  context(): QueryContext {
    return this.current.context;
  }

  reports(): Map<string, Report> {
    return this.current.reports;
  }

  lastError(): RefusedChange | null {
    return this.refused;
  }

  /** Re-reads the directory: a valid model replaces the current one, an invalid one is refused. One reload at a time. */
  reload(): Promise<{ ok: true; version: number } | { ok: false; issues: string[] }> {
    const run = this.pending.then(() => this.doReload());
    this.pending = run.catch(() => undefined);
    return run;
  }

  /** After a load or a migration: the same model with fresh data status, labels and territory. */
  refreshData(): Promise<void> {
    const run = this.pending.then(async () => {
      const s = this.current;
      this.current = { ...s, context: await this.newContext(s.model) };
      this.warmer?.schedule(this.current);
    });
    this.pending = run.catch(() => undefined);
    return run;
  }

  /** Watches the directory (sub-folders included) and reloads after each burst of changes. */
  watch(): void {
    if (this.watcher) return;
    this.watcher = watch(this.opts.dir, { recursive: true }, (_event, file) => {
      if (file && !/\.ya?ml$/.test(String(file))) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.reload(), this.opts.debounceMs ?? 150);
    });
  }

  close(): void {
    this.warmer?.stop();
    clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
  }

  private newContext(model: Model): Promise<QueryContext> {
    return createQueryContext(this.opts.engine, model, { nationalExemptFromDisclosure: this.opts.nationalExemptFromDisclosure, cellKeySecret: this.opts.cellKeySecret, cache: this.cache });
  }

  private async doReload(): Promise<{ ok: true; version: number } | { ok: false; issues: string[] }> {
    let next: { model: Model; reports: Map<string, Report> };
    try {
      next = readModel(this.opts.dir);
    } catch (err) {
      const issues = err instanceof ModelError ? err.issues.map(formatIssue) : [(err as Error).message];
      this.refused = { at: new Date().toISOString(), issues };
      this.opts.log?.(`[cubi] modifica rifiutata, resta in uso il modello ${this.current.version}:\n  ${issues.join('\n  ')}`);
      return { ok: false, issues };
    }
    const context = await this.newContext(next.model);
    this.current = { ...next, context, version: this.current.version + 1, loadedAt: new Date().toISOString() };
    this.refused = null;
    this.warmer?.schedule(this.current);
    this.opts.log?.(`[cubi] modello ${this.current.version} in uso: ${[...next.model.cubes.keys()].join(', ')}; ${next.reports.size} report`);
    return { ok: true, version: this.current.version };
  }
}
