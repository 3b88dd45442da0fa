/**
 * Every table declared in cubes/ is the table the demo data fill, and the
 * loader rebuilds it exactly: each is exported by the engine to CSV with only
 * the columns a file carries (the looked-up ones left out), then loaded back
 * (a first load into demo data replaces all of them); the table's row count
 * and hash must be what they were.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quoteIdentifier } from '../server/engine/client.ts';
import { runLoad } from '../server/load/run.ts';
import { loadModel } from '../server/model/load.ts';
import { planMigration } from '../server/tables/migrate.ts';
import { preparedEngine } from './helpers/engine.ts';

const { engine, dispose } = await preparedEngine(20_000, 11);
const files = mkdtempSync(join(tmpdir(), 'pas-roundtrip-'));
t.teardown(async () => {
  await dispose();
  rmSync(files, { recursive: true, force: true });
});
const model = loadModel({ dir: 'cubes' });

t.test('npm run schema finds every declared table as the demo data created it', async (t) => {
  const declared = ['dsu', 'pon_componenti', 'pon_condizioni', 'pon_nuclei', 'pon_progetti', 'pon_servizi', 'popolazione', 'prestazioni', 'sina', 'sinba'];
  t.same([...model.tables.keys()].sort(), declared);
  const plan = await planMigration(engine, model);
  t.same([plan.steps, plan.refusals, plan.upToDate.sort()], [[], [], declared]);
});

for (const table of model.tables.values()) {
  t.test(`${table.name}: exported and loaded back, the same table`, async (t) => {
    const T = engine.table(table.name);
    const year = table.batch[0];
    const digest = async () => (await engine.query<{ n: number; h: string }>(`SELECT count() AS n, toString(sum(cityHash64(*))) AS h FROM ${T}`))[0];
    const years = year ? (await engine.query<{ y: number }>(`SELECT DISTINCT ${quoteIdentifier(year)} AS y FROM ${T} ORDER BY y`)).map((r) => String(r.y)) : [];
    const before = await digest();
    t.ok(before.n > 0, `${before.n} rows`);
    const fromFile = table.columns.filter((c) => !c.lookup).map((c) => quoteIdentifier(c.name));
    const path = join(files, `${table.name}.csv`);
    await engine.command(
      `INSERT INTO FUNCTION file({path:String}, 'CSVWithNames') SELECT ${fromFile.join(', ')} FROM ${T} SETTINGS engine_file_truncate_on_insert = 1`,
      { path },
    );
    const rows = before.n;
    const load = await runLoad(engine, model, { table: table.name, format: 'csv', fileName: `${table.name}.csv`, bytes: createReadStream(path) });
    t.same([load.status, load.rowsRejected, load.rowsAccepted, load.batches], ['succeeded', 0, Number(rows), years], load.rejects.first.slice(0, 3).map((e) => `${e.line} ${e.column}: ${e.reason}`).join('; '));
    t.same(await digest(), before, 'same rows, same values, lookups included');
  });
}
