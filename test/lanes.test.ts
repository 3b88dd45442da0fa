/**
 * Lanes of the embedded engine: parameters travel as data (a typed row of a
 * temporary table), never as SQL text, and a cheap query is answered while a
 * heavy one still runs. Order of completion is asserted, never milliseconds.
 */
import t from 'tap';
import { openEngine } from '../server/engine/client.ts';
import { bindAsData, LanePool, type Lane } from '../server/engine/lanes.ts';

t.test('bindAsData: placeholders read the parameters table; no value enters the SQL text', async (t) => {
  const hostile = "x' OR 1=1 --";
  const b = bindAsData('SELECT 1 FROM t WHERE a = {p0:String} AND b IN {p1:Array(String)} AND c = {p0:String} LIMIT {p2:UInt64}', { p0: hostile, p1: ['a', "b'c"], p2: 10 });
  t.equal(b.sql, 'SELECT 1 FROM t WHERE a = CAST((SELECT p0 FROM query_params) AS String) AND b IN CAST((SELECT p1 FROM query_params) AS Array(String)) AND c = CAST((SELECT p0 FROM query_params) AS String) LIMIT CAST((SELECT p2 FROM query_params) AS UInt64)');
  t.equal(b.columns, 'p0 String, p1 Array(String), p2 UInt64');
  t.same(b.row, { p0: hostile, p1: ['a', "b'c"], p2: 10 });
  t.notMatch(b.sql, /OR 1=1|b'c/);
  t.same(bindAsData('SELECT 1', {}), { sql: 'SELECT 1', columns: '', row: {} }, 'no placeholders, no table');
  t.same(bindAsData('SELECT {k:UInt64}', { k: 18446744073709551615n }).row, { k: '18446744073709551615' }, '64-bit integers as exact text');
  t.throws(() => bindAsData('SELECT {a:String}, {a:Int64}', { a: 1 }), /two types/);
  t.throws(() => bindAsData('SELECT {a:String}', {}), /no value/);
});

t.test('the embedded engine returns exactly the values bound, however hostile', async (t) => {
  const engine = await openEngine({ database: 'lanes', dataDir: t.testdir() });
  t.teardown(() => engine.close());
  const odd = ["it's", 'back\\slash', 'new\nline', 'tab\tand "quotes"', 'àèìòù €', "' OR 1=1 --", '{p0:String}', ''];
  const [row] = await engine.query<Record<string, unknown>>(
    'SELECT {s:String} AS s, {a:Array(String)} AS a, {i:Int64} AS i, {f:Float64} AS f, toString({u:UInt64}) AS u, length({e:Array(String)}) AS e',
    { s: odd[0], a: odd, i: -42, f: 0.125, u: '18446744073709551615', e: [] },
  );
  t.same(row, { s: odd[0], a: odd, i: -42, f: 0.125, u: '18446744073709551615', e: 0 });
  await engine.command(`CREATE TABLE ${engine.table('t')} (k String, v UInt32) ENGINE = MergeTree ORDER BY k`);
  await engine.insert('t', odd.map((k, v) => ({ k, v })));
  const pick = async (values: string[], negate = false) =>
    (await engine.query<{ v: number }>(`SELECT v FROM ${engine.table('t')} WHERE k ${negate ? 'NOT IN' : 'IN'} {ks:Array(String)} ORDER BY v`, { ks: values })).map((r) => r.v);
  t.same(await pick(["' OR 1=1 --", 'new\nline']), [2, 5], 'IN matches exactly the listed keys');
  t.same(await pick(['nothing']), [], 'a key that is not there matches nothing');
  t.same(await pick([]), [], 'an empty list matches nothing');
  t.same(await pick([], true), [0, 1, 2, 3, 4, 5, 6, 7], 'NOT IN an empty list matches everything');
  const limited = await engine.query<{ v: number }>(`SELECT v FROM ${engine.table('t')} ORDER BY v LIMIT {l:UInt64} OFFSET {o:UInt64}`, { l: 2, o: 3 });
  t.same(limited.map((r) => r.v), [3, 4], 'LIMIT and OFFSET as parameters');
});

t.test('a cheap query is answered while a heavy one still runs', async (t) => {
  const engine = await openEngine({ database: 'lanes', dataDir: t.testdir() });
  t.teardown(() => engine.close());
  const finished: string[] = [];
  // Heavy: an exact distinct count over 20 million numbers (seconds); cheap: one row (milliseconds). Both carry parameters.
  const heavy = engine.query(`SELECT uniqExact(number * {m:UInt64}) AS n FROM numbers(20000000)`, { m: 3 }).then(() => finished.push('heavy'));
  await new Promise((r) => setTimeout(r, 100));
  const [cheap] = await engine.query<{ x: string }>('SELECT {x:String} AS x', { x: 'presto' });
  finished.push('cheap');
  t.equal(cheap.x, 'presto');
  await heavy;
  t.same(finished, ['cheap', 'heavy'], 'the cheap query did not wait for the heavy one');
});

t.test('closing the pool waits for a lane still being opened and closes it too', async (t) => {
  const closed: string[] = [];
  let opened!: (lane: Lane) => void;
  const lane: Lane = { query: async () => [], close: async () => void closed.push('lane') };
  const pool = new LanePool(1, () => new Promise<Lane>((resolve) => (opened = resolve)));
  const work = pool.run(async () => 'done');
  let poolClosed = false;
  const closing = pool.close().then(() => (poolClosed = true));
  await new Promise((r) => setImmediate(r));
  t.equal(poolClosed, false, 'close waits while the lane is opening');
  opened(lane);
  t.equal(await work, 'done');
  await closing;
  t.same(closed, ['lane'], 'the lane opened during close is closed');
  await t.rejects(pool.run(async () => 1), /engine closed/, 'no new work after close');
});
