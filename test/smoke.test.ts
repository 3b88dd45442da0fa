import t from 'tap';
import { tempEngine } from './helpers/engine.ts';

t.test('embedded engine binds parameters', async (t) => {
  const { engine, dispose } = await tempEngine();
  t.teardown(dispose);
  const rows = await engine.query<{ x: number; s: string }>('SELECT {a:Int64} + 1 AS x, {s:String} AS s', { a: 41, s: "it's \\ -- DROP" });
  t.same(rows, [{ x: 42, s: "it's \\ -- DROP" }]);
});
