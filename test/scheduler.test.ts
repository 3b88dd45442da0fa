/** The scheduler in front of the engine: order, per-principal limits, bounded queue. No engine, no clocks asserted. */
import { availableParallelism } from 'node:os';
import t from 'tap';
import { AppError } from '../server/errors.ts';
import { Scheduler, type SchedulerOptions, type Slot } from '../server/engine/scheduler.ts';

const options = (o: Partial<SchedulerOptions> = {}): SchedulerOptions => ({ concurrency: 1, heavyConcurrency: 1, heavyCost: Number.POSITIVE_INFINITY, heavyThreads: 1, idleHeavyThreads: 1, cheapThreads: 1, perPrincipal: 2, maxQueue: 100, maxQueuedPerPrincipal: 20, queueTimeoutMs: 60_000, maxOvertakes: 10, ...o });

/** Acquires and records the order in which slots are granted. */
function recorder(s: Scheduler) {
  const granted: string[] = [];
  const slots = new Map<string, Slot>();
  const ask = (name: string, principal: string, cost: number) =>
    s.acquire({ principal, cost }).then((slot) => {
      granted.push(name);
      slots.set(name, slot);
      return slot;
    });
  /** Releases the latest granted slot `n` times, letting the next query start each time. */
  const finishInTurn = async (n: number) => {
    for (let i = 0; i < n; i++) {
      await tick();
      slots.get(granted[granted.length - 1])!.release();
      await tick();
    }
  };
  return { granted, slots, ask, finishInTurn };
}

const tick = () => new Promise((r) => setImmediate(r));

t.test('a cheap query waiting behind heavy ones gets the next slot', async (t) => {
  const s = new Scheduler(options());
  const { granted, slots, ask } = recorder(s);
  await ask('heavy-1', 'a', 5_000_000);
  void ask('heavy-2', 'b', 4_000_000);
  void ask('heavy-3', 'c', 6_000_000);
  void ask('cheap', 'd', 120);
  await tick();
  t.same(granted, ['heavy-1'], 'one at a time');
  t.same(s.stats().waiting.map((j) => j.cost), [120, 4_000_000, 6_000_000], 'queue position: the cheap query is first in line');
  slots.get('heavy-1')!.release();
  await tick();
  t.same(granted, ['heavy-1', 'cheap']);
  slots.get('cheap')!.release();
  await tick();
  slots.get('heavy-2')!.release();
  await tick();
  t.same(granted, ['heavy-1', 'cheap', 'heavy-2', 'heavy-3'], 'then the heavy ones, cheapest first');
  slots.get('heavy-3')!.release();
  t.same(s.stats(), { running: 0, waiting: [] });
});

t.test('equal costs run in arrival order', async (t) => {
  const s = new Scheduler(options());
  const { granted, slots, ask } = recorder(s);
  await ask('first', 'a', 10);
  for (const n of ['x', 'y', 'z']) void ask(n, n, 10);
  for (const n of ['first', 'x', 'y']) {
    await tick();
    slots.get(n)!.release();
  }
  await tick();
  t.same(granted, ['first', 'x', 'y', 'z']);
});

t.test('per-principal limit: a principal at its limit waits, others pass', async (t) => {
  const s = new Scheduler(options({ concurrency: 3, perPrincipal: 1 }));
  const { granted, slots, ask } = recorder(s);
  await ask('a1', 'alice', 1);
  void ask('a2', 'alice', 1);
  void ask('b1', 'bob', 1_000_000);
  await tick();
  t.same(granted, ['a1', 'b1'], "alice's second query waits although a slot is free; bob's heavy one runs");
  t.equal(s.stats().running, 2);
  slots.get('a1')!.release();
  await tick();
  t.same(granted, ['a1', 'b1', 'a2']);
});

t.test('a full queue refuses with 503 ENGINE_BUSY and a Retry-After', async (t) => {
  const s = new Scheduler(options({ maxQueue: 2, queueTimeoutMs: 9_000 }));
  await s.acquire({ principal: 'a', cost: 1 });
  void s.acquire({ principal: 'b', cost: 1 }).catch(() => {});
  void s.acquire({ principal: 'c', cost: 1 }).catch(() => {});
  const err = await s.acquire({ principal: 'd', cost: 1 }).catch((e) => e);
  t.ok(err instanceof AppError);
  t.equal(err.code, 'ENGINE_BUSY');
  t.equal(err.status, 503);
  t.equal(err.extra.retryAfter, 3, 'a third of the queue timeout');
  t.match(err.detail, /riprovare tra 3 s/);
});

t.test('one principal cannot fill the queue', async (t) => {
  const s = new Scheduler(options({ maxQueuedPerPrincipal: 2 }));
  await s.acquire({ principal: 'a', cost: 1 });
  void s.acquire({ principal: 'a', cost: 1 }).catch(() => {});
  void s.acquire({ principal: 'a', cost: 1 }).catch(() => {});
  const err = await s.acquire({ principal: 'a', cost: 1 }).catch((e) => e);
  t.equal(err.code, 'ENGINE_BUSY');
  t.match(err.detail, /Questo utente ha già 2 query in attesa/);
  const other = s.acquire({ principal: 'b', cost: 1 });
  t.equal(s.stats().waiting.length, 3, 'another principal still queues');
  void other.catch(() => {});
});

t.test('a query waiting past the queue timeout is refused and leaves the queue', async (t) => {
  // The scheduler's timers do not hold the process open (unref): this test does, while it waits.
  const alive = setInterval(() => {}, 1000);
  t.teardown(() => clearInterval(alive));
  const s = new Scheduler(options({ queueTimeoutMs: 5 }));
  const first = await s.acquire({ principal: 'a', cost: 1 });
  const err = await s.acquire({ principal: 'b', cost: 1 }).catch((e) => e);
  t.equal(err.code, 'ENGINE_BUSY');
  t.match(err.detail, /in coda oltre/);
  t.equal(s.stats().waiting.length, 0);
  first.release();
  const next = await s.acquire({ principal: 'b', cost: 1 });
  t.equal(s.stats().running, 1, 'the slot is free again');
  next.release();
});

t.test('after maxOvertakes starts that passed over the oldest waiting query, the oldest goes next', async (t) => {
  const s = new Scheduler(options({ maxOvertakes: 2 }));
  const { granted, ask, finishInTurn } = recorder(s);
  await ask('running', 'a', 1);
  void ask('heavy', 'b', 9_000_000);
  for (const n of ['cheap-1', 'cheap-2', 'cheap-3']) void ask(n, n, 1);
  await finishInTurn(4);
  t.same(granted, ['running', 'cheap-1', 'cheap-2', 'heavy', 'cheap-3'], 'two cheap queries overtake it, then it runs');
});

t.test('run() releases the slot when the work fails', async (t) => {
  const s = new Scheduler(options());
  await t.rejects(s.run({ principal: 'a', cost: 1 }, async () => { throw new Error('boom'); }), /boom/);
  t.same(s.stats(), { running: 0, waiting: [] });
  t.equal(await s.run({ principal: 'a', cost: 1 }, async () => 42), 42);
});

t.test('configuration: defaults, variables and switches', async (t) => {
  const { loadConfig } = await import('../server/config.ts');
  const d = loadConfig({});
  t.same(d.limits, { maxExecutionTime: 60, maxMemoryUsage: 2048 * 1024 ** 2, maxResultRows: 500_000, maxRowsToGroupBy: 2_000_000, maxEstimatedRows: 1_000_000 });
  t.same(d.scheduler, { heavyCost: 500_000, heavyThreads: Math.max(1, availableParallelism() - 1), idleHeavyThreads: availableParallelism(), cheapThreads: 1, perPrincipal: 2, maxQueue: 100, maxQueuedPerPrincipal: 20, queueTimeoutMs: 60_000, maxOvertakes: 10 }, 'concurrency left to the transport');
  t.same(d.throttle, { windowMs: 60_000, perAddress: 1200, perPrincipal: 600, authFailures: 20 });
  const c = loadConfig({ QUERY_MAX_EXECUTION_TIME: '5', QUERY_MAX_MEMORY_MB: '512', ENGINE_CONCURRENCY: '3', QUERY_QUEUE_TIMEOUT: '2.5', RATE_LIMIT: 'false' });
  t.match(c.limits, { maxExecutionTime: 5, maxMemoryUsage: 512 * 1024 ** 2 });
  t.match(c.scheduler, { concurrency: 3, queueTimeoutMs: 2500 });
  t.equal(c.throttle, false);
  t.throws(() => loadConfig({ QUERY_MAX_EXECUTION_TIME: '0' }), /QUERY_MAX_EXECUTION_TIME/);
});

t.test('threads: a heavy query on an idle engine gets every core; on a busy one it leaves cores to cheap queries', async (t) => {
  const s = new Scheduler(options({ concurrency: 3, heavyConcurrency: 1, heavyCost: 1000, heavyThreads: 1, idleHeavyThreads: 4, cheapThreads: 2 }));
  const alone = await s.acquire({ principal: 'a', cost: 5000 });
  t.same([alone.heavy, alone.threads], [true, 4], 'nothing running, nothing waiting: every core');
  const cheap = await s.acquire({ principal: 'b', cost: 10 });
  t.same([cheap.heavy, cheap.threads], [false, 2]);
  alone.release();
  const busy = await s.acquire({ principal: 'c', cost: 5000 });
  t.same([busy.heavy, busy.threads], [true, 1], 'a cheap query is running: heavyThreads');
  const next = s.acquire({ principal: 'd', cost: 6000 });
  busy.release();
  cheap.release();
  const queued = await next;
  t.same([queued.heavy, queued.threads], [true, 1], 'started when the cheap one was still running');
  queued.release();
  const lone = s.acquire({ principal: 'e', cost: 7000 });
  t.equal((await lone).threads, 4, 'idle again');
  // A report's tables: heavy queries waiting for the one heavy slot each get every core in turn.
  const second = s.acquire({ principal: 'e', cost: 7001 });
  const third = s.acquire({ principal: 'f', cost: 7002 });
  (await lone).release();
  t.equal((await second).threads, 4, 'the next heavy one: only heavy queries wait, none could run beside it');
  const cheapWaiting = s.acquire({ principal: 'g', cost: 1 });
  t.equal((await cheapWaiting).threads, 2, 'a cheap query runs beside it at once');
  (await second).release();
  t.equal((await third).threads, 1, 'a cheap query is running: heavyThreads');
  (await third).release();
  (await cheapWaiting).release();
  t.same(s.stats(), { running: 0, waiting: [] });
});

t.test('heavy queries take at most heavyConcurrency slots: the others stay open to cheap queries', async (t) => {
  const s = new Scheduler(options({ concurrency: 3, heavyConcurrency: 1, heavyCost: 1000 }));
  const { granted, slots, ask } = recorder(s);
  await ask('heavy-1', 'a', 5000);
  void ask('heavy-2', 'b', 2000);
  void ask('heavy-3', 'c', 1000);
  await ask('cheap-1', 'd', 10);
  await ask('cheap-2', 'e', 999);
  t.same(granted, ['heavy-1', 'cheap-1', 'cheap-2'], 'the second and third heavy wait although a slot was free; both cheap ones ran');
  t.equal(s.stats().running, 3);
  t.equal(s.heavyRunning, 1);
  t.same(s.stats().waiting.map((j) => j.principal), ['c', 'b'], 'waiting heavy queries, cheapest first');
  slots.get('cheap-1')!.release();
  await new Promise((r) => setImmediate(r));
  t.same(granted, ['heavy-1', 'cheap-1', 'cheap-2'], 'a free slot does not go to a heavy query while the heavy slot is taken');
  const late = ask('cheap-3', 'f', 1);
  await late;
  t.same(granted, ['heavy-1', 'cheap-1', 'cheap-2', 'cheap-3'], 'a cheap query arriving behind waiting heavy ones starts at once');
  slots.get('heavy-1')!.release();
  await new Promise((r) => setImmediate(r));
  t.same(granted, ['heavy-1', 'cheap-1', 'cheap-2', 'cheap-3', 'heavy-3'], 'the heavy slot goes to the cheapest heavy query');
  t.equal(s.stats().running, 3);
  t.equal(s.heavyRunning, 1);
});

t.test('configuration of the heavy lane', async (t) => {
  const { loadConfig } = await import('../server/config.ts');
  const c = loadConfig({ ENGINE_HEAVY_CONCURRENCY: '2', QUERY_HEAVY_COST: '5000' });
  t.match(c.scheduler, { heavyConcurrency: 2, heavyCost: 5000 });
  t.throws(() => loadConfig({ ENGINE_HEAVY_CONCURRENCY: '0' }), /ENGINE_HEAVY_CONCURRENCY/);
});

t.test('a waiting query whose caller has gone away leaves the queue unrun', async (t) => {
  const s = new Scheduler(options());
  const { granted, slots, ask } = recorder(s);
  await ask('running', 'a', 1);
  const gone = new AbortController();
  const abandoned = s.acquire({ principal: 'b', cost: 1, signal: gone.signal });
  void ask('next', 'c', 5);
  t.equal(s.stats().waiting.length, 2);
  gone.abort();
  const err = await abandoned.catch((e) => e);
  t.equal(err.code, 'ENGINE_BUSY');
  t.match(err.detail, /abbandonata dal client/);
  t.same(s.stats().waiting.map((j) => j.principal), ['c']);
  slots.get('running')!.release();
  await tick();
  t.same(granted, ['running', 'next']);
  const already = new AbortController();
  already.abort();
  await t.rejects(s.acquire({ principal: 'd', cost: 1, signal: already.signal }), { code: 'ENGINE_BUSY' });
});

t.test('heavy queries waiting together get one turn each in maxOvertakes + 1, not all at once', async (t) => {
  const s = new Scheduler(options({ maxOvertakes: 2 }));
  const { granted, ask, finishInTurn } = recorder(s);
  await ask('running', 'a', 1);
  void ask('heavy-1', 'h1', 9_000_000);
  void ask('heavy-2', 'h2', 9_000_000);
  for (let i = 1; i <= 5; i++) void ask(`cheap-${i}`, `c${i}`, 1);
  await finishInTurn(7);
  t.same(granted, ['running', 'cheap-1', 'cheap-2', 'heavy-1', 'cheap-3', 'cheap-4', 'heavy-2', 'cheap-5']);
});
