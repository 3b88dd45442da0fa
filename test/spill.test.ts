/**
 * A GROUP BY larger than half the query memory limit goes on in temporary files instead of being
 * refused: the same aggregation fails with the engine's memory error when spilling is switched off
 * in the query text, and succeeds, with the right count, under the data path's limits.
 */
import t from 'tap';
import { limitError } from '../server/engine/limits.ts';
import { tempEngine } from './helpers/engine.ts';

const limits = { maxMemoryUsage: 120 * 1024 ** 2, maxRowsToGroupBy: 10_000_000, maxResultRows: 10, maxEstimatedRows: 10_000_000, maxExecutionTime: 300 };
const { engine, dispose } = await tempEngine({ limits });
t.teardown(dispose);

// 3 million distinct keys with a distinct set each: well over 120 MB of aggregation state.
const aggregation = 'SELECT count() AS groups, sum(n) AS rows FROM (SELECT number AS k, uniqExact(number) AS n FROM numbers(3000000) GROUP BY k)';

t.test('without spilling, the memory limit refuses it', async (t) => {
  const err = await engine.query(`${aggregation} SETTINGS max_bytes_before_external_group_by = 0`, {}, { limited: true }).then(() => undefined, (e: unknown) => e);
  t.ok(err, 'refused');
  t.match(limitError(err, engine.limits), { code: 'QUERY_TOO_LARGE', extra: { limit: 'max_memory_usage' } });
});

t.test('with the data path settings, it spills and answers', async (t) => {
  const [row] = await engine.query<{ groups: number; rows: number }>(aggregation, {}, { limited: true });
  t.equal(Number(row.groups), 3_000_000);
  t.equal(Number(row.rows), 3_000_000);
});
