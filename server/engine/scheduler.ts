/**
 * The scheduler in front of the engine: queries wait here, not inside the
 * engine, so that the next free slot goes to the cheapest waiting query.
 *
 * - `concurrency` queries run at once, of which at most `heavyConcurrency`
 *   heavy ones (estimated cost ≥ `heavyCost`): the other slots stay open to
 *   cheap queries, which never wait for a heavy one to finish (the embedded
 *   engine runs them side by side on its lanes, see lanes.ts; on 2 cores two
 *   heavy queries at once take as long as one after the other, so one heavy
 *   slot by default);
 * - one principal runs at most `perPrincipal` queries at once and keeps at
 *   most `maxQueuedPerPrincipal` waiting: one user cannot take every slot;
 * - the queue holds at most `maxQueue` queries; beyond that, or after waiting
 *   `queueTimeoutMs`, a query is refused with 503 and Retry-After;
 * - among the waiting queries whose principal is under its limit, the lowest
 *   estimated cost goes first; after `maxOvertakes` starts in a row that
 *   passed over the oldest waiting query, the oldest goes next (heavy queries
 *   get one turn in maxOvertakes + 1 under a steady stream of cheap ones,
 *   instead of waiting until the queue timeout).
 */
import { availableParallelism } from 'node:os';
import { AppError } from '../errors.ts';

export interface SchedulerOptions {
  concurrency: number;
  /** Heavy queries (cost ≥ heavyCost) running at once; the remaining slots serve only cheap ones. */
  heavyConcurrency: number;
  /** Estimated cost (rows read × grouping sets + rows returned) from which a query is heavy. */
  heavyCost: number;
  /** Threads a heavy query may use in the engine (`max_threads`): the other cores stay free for cheap queries. */
  heavyThreads: number;
  /**
   * Threads of a heavy query that starts on an idle engine (nothing running, nothing waiting that
   * could run beside it): every core, since nobody is there to keep one for (a national report's
   * tables, one after the other). Queries that arrive while it runs share the cores with it.
   */
  idleHeavyThreads: number;
  /** Threads of a cheap query (`max_threads`): one is enough for a small scan, and several cheap queries share the cores better. */
  cheapThreads: number;
  perPrincipal: number;
  maxQueue: number;
  maxQueuedPerPrincipal: number;
  queueTimeoutMs: number;
  /** Starts in a row that may pass over the oldest waiting query before it goes next. */
  maxOvertakes: number;
}

export const DEFAULT_SCHEDULER: SchedulerOptions = { concurrency: 3, heavyConcurrency: 1, heavyCost: 500_000, heavyThreads: Math.max(1, availableParallelism() - 1), idleHeavyThreads: availableParallelism(), cheapThreads: 1, perPrincipal: 2, maxQueue: 100, maxQueuedPerPrincipal: 20, queueTimeoutMs: 60_000, maxOvertakes: 10 };

export interface Job {
  /** Who asks (principal id): the unit of fairness. */
  readonly principal: string;
  /** Estimated cost: lower runs first. */
  readonly cost: number;
  /** Aborted when the caller has gone away: a waiting query leaves the queue unrun. */
  readonly signal?: AbortSignal;
}

export interface Slot {
  readonly heavy: boolean;
  /** Engine threads the query may use (`max_threads`): `cheapThreads`, `heavyThreads`, or `idleHeavyThreads` on an idle engine. */
  readonly threads: number;
  release(): void;
}

interface Waiting {
  readonly job: Job;
  readonly seq: number;
  readonly grant: (slot: Slot) => void;
  readonly timer: NodeJS.Timeout;
}

export class Scheduler {
  private readonly running = new Map<string, number>();
  private active = 0;
  private heavy = 0;
  private seq = 0;
  private queue: Waiting[] = [];
  /** Starts in a row that passed over the oldest waiting query. */
  private skips = 0;

  constructor(readonly options: SchedulerOptions) {}

  /** Waits for a slot; throws ENGINE_BUSY (503) when the queue is full or the wait is too long. */
  acquire(job: Job): Promise<Slot> {
    if (job.signal?.aborted) return Promise.reject(new AppError('ENGINE_BUSY', 'La richiesta è stata abbandonata dal client: la query non è stata eseguita.'));
    if (this.queue.length === 0 && this.canRun(job)) return Promise.resolve(this.start(job));
    const o = this.options;
    const mine = this.queue.filter((w) => w.job.principal === job.principal).length;
    if (this.queue.length >= o.maxQueue)
      return Promise.reject(busy(`Il server ha già ${o.maxQueue} query in attesa.`, o));
    if (mine >= o.maxQueuedPerPrincipal)
      return Promise.reject(busy(`Questo utente ha già ${mine} query in attesa: attendere che finiscano prima di inviarne altre.`, o));
    return new Promise<Slot>((resolve, reject) => {
      const leave = (err: AppError) => {
        this.queue = this.queue.filter((w) => w !== waiting);
        clearTimeout(waiting.timer);
        job.signal?.removeEventListener('abort', abandon);
        reject(err);
      };
      const abandon = () => leave(new AppError('ENGINE_BUSY', 'La richiesta è stata abbandonata dal client mentre era in coda: la query non è stata eseguita.'));
      const waiting: Waiting = {
        job,
        seq: this.seq++,
        grant: (slot) => {
          job.signal?.removeEventListener('abort', abandon);
          resolve(slot);
        },
        timer: setTimeout(() => leave(busy(`La query è rimasta in coda oltre ${Math.round(o.queueTimeoutMs / 1000)} s.`, o)), o.queueTimeoutMs),
      };
      job.signal?.addEventListener('abort', abandon, { once: true });
      waiting.timer.unref();
      this.queue.push(waiting);
      this.dispatch();
    });
  }

  /** Runs `fn` in a slot. */
  async run<T>(job: Job, fn: () => Promise<T>): Promise<T> {
    const slot = await this.acquire(job);
    try {
      return await fn();
    } finally {
      slot.release();
    }
  }

  /** Running and waiting queries; `waiting` in the order they would be started now. */
  stats(): { running: number; waiting: Job[] } {
    return { running: this.active, waiting: this.order().map((w) => w.job) };
  }

  /** Heavy queries running now. */
  get heavyRunning(): number {
    return this.heavy;
  }

  private isHeavy(job: Job): boolean {
    return job.cost >= this.options.heavyCost;
  }

  private canRun(job: Job): boolean {
    return (
      this.active < this.options.concurrency &&
      (this.running.get(job.principal) ?? 0) < this.options.perPrincipal &&
      (!this.isHeavy(job) || this.heavy < this.options.heavyConcurrency)
    );
  }

  private start(job: Job): Slot {
    const { principal } = job;
    const heavy = this.isHeavy(job);
    // Idle: nothing running, and nothing waiting that could run beside it (a cheap query, or another heavy one
    // within heavyConcurrency); heavy queries waiting for this one's slot (a report's other tables) do not count.
    // A job starting here is never in the queue: it started at once, or dispatch took it out first.
    const idle = this.active === 0 && !this.queue.some((w) => !this.isHeavy(w.job) || this.heavy + 1 < this.options.heavyConcurrency);
    const threads = !heavy ? this.options.cheapThreads : idle ? this.options.idleHeavyThreads : this.options.heavyThreads;
    this.active++;
    if (heavy) this.heavy++;
    this.running.set(principal, (this.running.get(principal) ?? 0) + 1);
    let released = false;
    return {
      heavy,
      threads,
      release: () => {
        if (released) return;
        released = true;
        this.active--;
        if (heavy) this.heavy--;
        const n = (this.running.get(principal) ?? 1) - 1;
        if (n) this.running.set(principal, n);
        else this.running.delete(principal);
        this.dispatch();
      },
    };
  }

  /** Waiting queries in the order they would start: cheapest first, the oldest first when its turn has come. */
  private order(): Waiting[] {
    const byCost = [...this.queue].sort((a, b) => a.job.cost - b.job.cost || a.seq - b.seq);
    if (this.skips < this.options.maxOvertakes || byCost.length < 2) return byCost;
    const oldest = byCost.reduce((o, w) => (w.seq < o.seq ? w : o));
    return [oldest, ...byCost.filter((w) => w !== oldest)];
  }

  private dispatch(): void {
    while (this.active < this.options.concurrency) {
      const runnable = this.order().filter((w) => this.canRun(w.job));
      const next = runnable[0];
      if (!next) return;
      const oldest = runnable.reduce((o, w) => (w.seq < o.seq ? w : o));
      this.skips = next === oldest ? 0 : this.skips + 1;
      this.queue = this.queue.filter((w) => w !== next);
      clearTimeout(next.timer);
      next.grant(this.start(next.job));
    }
  }
}

function busy(why: string, o: SchedulerOptions): AppError {
  const retryAfter = Math.max(1, Math.ceil(o.queueTimeoutMs / 1000 / 3));
  return new AppError('ENGINE_BUSY', `${why} Il motore di calcolo è occupato: riprovare tra ${retryAfter} s; le query piccole (un territorio, poche dimensioni) passano prima.`, { retryAfter });
}
