/**
 * Loads on a real embedded engine: schema migrations, a clean file, bad rows
 * under both policies, batch replacement on re-load, NDJSON and Parquet, the
 * journal, the data version, and recovery after a crash. Every expected
 * number is counted by hand from the fixture files or read back with SQL.
 */
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { dataInfo } from '../server/data/bootstrap.ts';
import { listLoads, writeJournal } from '../server/load/journal.ts';
import { recoverLoads } from '../server/load/recover.ts';
import { runLoad, type LoadInput } from '../server/load/run.ts';
import { loadModel, readDir } from '../server/model/load.ts';
import { applyMigration, planMigration } from '../server/tables/migrate.ts';
import { preparedEngine } from './helpers/engine.ts';
import { SAD_CUBE } from './fixtures/sad-cube.ts';

const { engine, dispose } = await preparedEngine(1000, 3);
t.teardown(dispose);
const shipped = readDir('cubes');
const modelOf = (cube: string) => loadModel({ files: { ...shipped, 'cubes/sad_test.yaml': cube } });
const model = modelOf(SAD_CUBE);
const T = engine.table('sad_test');
const files = mkdtempSync(join(tmpdir(), 'pas-load-'));

// Two real comuni and their ATS, read independently of the loader.
const [a, b] = await engine.query<{ comune: string; ats: string }>(`SELECT comune, ats FROM ${engine.table('territorio')} WHERE comune IN ('058091', '015146') ORDER BY comune DESC`);

const digest = async () => (await engine.query<{ n: number; h: string }>(`SELECT count() AS n, toString(sum(cityHash64(*))) AS h FROM ${T}`))[0];
const csv = (lines: string[]) => ({ bytes: Readable.from([Buffer.from(lines.join('\n') + '\n')]), format: 'csv' as const });
const load = (input: Partial<LoadInput>) => runLoad(engine, model, { table: 'sad_test', format: 'csv', fileName: 'test.csv', ...input });

const HEADER = 'anno,utente_id,comune,eta,genere,ore,inizio,note';
const CLEAN_2024 = [HEADER, `2024,1,${a.comune},81,2,"120,5",2024-01-15,`, `2024,2,${a.comune},77,1,80,,`, `2024,3,${b.comune},70,1,10.5,15/03/2024,x`, `2024,4,${b.comune},45,2,2,,`];

t.test('npm run schema: the declared table is created, a second run changes nothing', async (t) => {
  const plan = await planMigration(engine, model);
  t.same(plan.refusals, []);
  t.same(plan.steps.map((s) => [s.table, s.action]), [['sad_test', 'create_table']]);
  await applyMigration(engine, plan);
  const cols = await engine.query<{ name: string; type: string }>(`SELECT name, type FROM system.columns WHERE database = 'pas' AND table = 'sad_test' ORDER BY position`);
  t.same(cols.map((c) => `${c.name} ${c.type}`), ['anno UInt16', 'utente_id UInt64', 'comune String', 'ats String', 'eta UInt8', 'genere UInt8', 'ore Decimal(10, 1)', 'inizio Nullable(Date)', 'note Nullable(String)']);
  const again = await planMigration(engine, model);
  t.same([again.steps, again.refusals, again.upToDate.includes('sad_test')], [[], [], true]);
});

t.test('a clean CSV: every row loaded, lookups filled from territorio, data version = load id', async (t) => {
  const r = await load(csv(CLEAN_2024));
  t.same([r.status, r.rowsRead, r.rowsAccepted, r.rowsRejected, r.batches], ['succeeded', 4, 4, 0, ['2024']]);
  const rows = await engine.query<Record<string, unknown>>(`SELECT utente_id, ats, toString(ore) AS ore, inizio, note FROM ${T} ORDER BY utente_id`);
  t.same(rows, [
    { utente_id: 1, ats: a.ats, ore: '120.5', inizio: '2024-01-15', note: null },
    { utente_id: 2, ats: a.ats, ore: '80', inizio: null, note: null },
    { utente_id: 3, ats: b.ats, ore: '10.5', inizio: '2024-03-15', note: 'x' },
    { utente_id: 4, ats: b.ats, ore: '2', inizio: null, note: null },
  ]);
  t.equal((await dataInfo(engine)).versions.sad_test, r.id);
  t.match(r.checksum, /^[0-9a-f]{64}$/);
});

const BAD_2024 = [
  HEADER,
  `2024,1,${a.comune},81,2,100,,`,
  `2024,2,999999,77,1,80,,`, // line 3: unknown comune
  `2024,3,${b.comune},70,3,10,,`, // line 4: genere 3
  `2024,4,${b.comune},45,2,2,,`,
  `2024,5,${b.comune},45,2,abc,31/02/2024,`, // line 6: ore and inizio
  `2024,6,${a.comune},50,1,1,,`,
];

t.test('bad rows, all or nothing (default): nothing changes, every reason reported with line and column', async (t) => {
  const before = await digest();
  const r = await load(csv(BAD_2024));
  t.same([r.status, r.rowsRead, r.rowsAccepted, r.rowsRejected], ['rejected', 6, 3, 3]);
  t.same(r.rejects.first.map((e) => [e.line, e.column, e.reason]), [
    [3, 'comune', 'codice sconosciuto (non presente in territorio.comune)'],
    [4, 'genere', 'valore non ammesso (ammessi: 1, 2)'],
    [6, 'ore', 'non è un numero (usare il punto o la virgola per i decimali, senza separatore delle migliaia)'],
    [6, 'inizio', 'data inesistente'],
  ]);
  t.same(r.rejects.totals.map((x) => [x.column, x.rows]).sort(), [['comune', 1], ['genere', 1], ['inizio', 1], ['ore', 1]]);
  t.match(r.error, /3 righe scartate, nessuna ammessa/);
  t.same(await digest(), before, 'the table is exactly as before');
  t.same(await engine.query(`SELECT name FROM system.tables WHERE database = 'pas' AND name LIKE '\\_%'`), [], 'no staging table left');
});

t.test('--check validates the whole file and changes nothing', async (t) => {
  const before = await digest();
  const good = await load({ ...csv([HEADER, `2024,7,${a.comune},81,2,1,,`]), checkOnly: true });
  t.same([good.status, good.rowsRead, good.rowsAccepted, good.batches], ['checked', 1, 1, []]);
  const bad = await load({ ...csv(BAD_2024), checkOnly: true });
  t.same([bad.status, bad.rowsRejected], ['rejected', 3], 'a check of a bad file reports its rejects');
  t.same(await digest(), before);
});

t.test('bad rows with --max-rejects 3: the valid rows replace batch 2024', async (t) => {
  const tooFew = await load({ ...csv(BAD_2024), maxRejects: 2 });
  t.equal(tooFew.status, 'rejected', '3 rejects > 2 allowed');
  // 3 rows replace the 4 of batch 2024: a shrink below 80 %, confirmed (the shrink guard has its own test in load-guards.test.ts).
  const r = await load({ ...csv(BAD_2024), maxRejects: 3, allowShrink: true });
  t.same([r.status, r.rowsAccepted, r.rowsRejected], ['succeeded', 3, 3]);
  t.same(await engine.query(`SELECT utente_id, toString(ore) AS ore FROM ${T} ORDER BY utente_id`), [{ utente_id: 1, ore: '100' }, { utente_id: 4, ore: '2' }, { utente_id: 6, ore: '1' }]);
});

t.test('re-loading replaces the batch, never duplicates; other batches are kept', async (t) => {
  const first = await load(csv(CLEAN_2024));
  const once = await digest();
  const second = await load(csv(CLEAN_2024));
  t.same(await digest(), once, 'the same file twice: the same table');
  t.equal(second.checksum, first.checksum);
  t.equal(once.n, 4);
  const y2023 = await load(csv([HEADER, `2023,9,${a.comune},60,1,7,,`, `2023,10,${b.comune},61,2,8,,`]));
  t.same(y2023.batches, ['2023']);
  t.same(await engine.query(`SELECT anno, count() AS n FROM ${T} GROUP BY anno ORDER BY anno`), [{ anno: 2023, n: 2 }, { anno: 2024, n: 4 }]);
  const corrected = await load({ ...csv([HEADER, `2024,1,${a.comune},81,2,99,,`]), allowShrink: true });
  t.same(corrected.batches, ['2024']);
  t.same(await engine.query(`SELECT anno, count() AS n, toString(sum(ore)) AS ore FROM ${T} GROUP BY anno ORDER BY anno`), [{ anno: 2023, n: 2, ore: '15' }, { anno: 2024, n: 1, ore: '99' }]);
});

t.test('NDJSON and Parquet of the same rows give the same table as the CSV', async (t) => {
  await load(csv(CLEAN_2024));
  await engine.command(`ALTER TABLE ${T} DROP PARTITION 2023`);
  const fromCsv = await digest();
  const ndjson = CLEAN_2024.slice(1).map((line) => {
    const [anno, utente_id, comune, eta, genere, ore, inizio, note] = line.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/);
    return JSON.stringify({ anno: Number(anno), utente_id: Number(utente_id), comune, eta: Number(eta), genere: Number(genere), ore: ore.replaceAll('"', ''), inizio: inizio || null, note: note || null });
  });
  const r = await load({ bytes: Readable.from([Buffer.from(ndjson.join('\n'))]), format: 'ndjson' });
  t.same([r.status, r.rowsAccepted], ['succeeded', 4]);
  t.same(await digest(), fromCsv);
  const parquet = join(files, 'sad.parquet');
  await engine.command(`INSERT INTO FUNCTION file({p:String}, 'Parquet') SELECT anno, utente_id, comune, eta, genere, ore, inizio, note FROM ${T}`, { p: parquet });
  await engine.command(`TRUNCATE TABLE ${T}`);
  const p = await load({ path: parquet, format: 'parquet', fileName: 'sad.parquet' });
  t.same([p.status, p.rowsAccepted], ['succeeded', 4]);
  t.same(await digest(), fromCsv);
});

t.test('a file without a required column is refused before any row is checked', async (t) => {
  const before = await digest();
  const r = await load(csv(['anno,utente_id,comune,eta,ore', `2024,1,${a.comune},81,3`]));
  t.same([r.status, r.rejects.file], ['rejected', ['colonna obbligatoria assente nel file: genere']]);
  t.same(await digest(), before);
});

t.test('the journal keeps every load with its final state, newest first', async (t) => {
  const loads = await listLoads(engine, { table: 'sad_test' });
  t.ok(loads.length >= 10);
  t.same(new Set(loads.map((l) => l.status)), new Set(['succeeded', 'rejected', 'checked']));
  t.ok(loads.every((l, i) => i === 0 || l.startedAt <= loads[i - 1].startedAt));
  t.ok(loads.every((l) => l.finishedAt && l.finishedAt >= l.startedAt));
});

t.test('migrations: a new column is added; dropping or retyping a column is refused and nothing is applied', async (t) => {
  const withRegion = SAD_CUBE.replace('      eta: { type: UInt8 }', '      regione: { type: String, lookup: { table: territorio, by: comune, column: regione } }\n      eta: { type: UInt8 }');
  const add = await planMigration(engine, modelOf(withRegion));
  t.same(add.steps.map((s) => s.sql), ['ALTER TABLE `pas`.`sad_test` ADD COLUMN `regione` String AFTER `ats`']);
  await applyMigration(engine, add);
  const noNote = withRegion.replace('      note: { type: String, required: false }\n', '');
  const retyped = withRegion.replace('ore: { type: "Decimal(10, 1)" }', 'ore: { type: Float64 }').replace('      anno: { type: UInt16 }', '      anno: { type: UInt16 }\n      extra: { type: String }');
  const drop = await planMigration(engine, modelOf(noNote));
  t.match(drop.refusals.map((r) => r.reason), [/la colonna note \(Nullable\(String\)\) esiste nella tabella ma non è più dichiarata/]);
  const retype = await planMigration(engine, modelOf(retyped));
  t.match(retype.refusals.map((r) => r.reason), [/la colonna ore è Decimal\(10, 1\) nella tabella ma Float64 nel file/]);
  await t.rejects(applyMigration(engine, retype), /refused/);
  const cols = await engine.query<{ name: string }>(`SELECT name FROM system.columns WHERE database = 'pas' AND table = 'sad_test' ORDER BY position`);
  t.notOk(cols.some((c) => c.name === 'extra'), 'the additive part of a refused plan is not applied either');
  const rebatched = await planMigration(engine, modelOf(withRegion.replace('batch: [anno]', 'batch: [comune]')));
  t.match(rebatched.refusals.map((r) => r.reason), [/il lotto dichiarato \(batch: comune\) è diverso dalla partizione della tabella/]);
});

t.test('a load into a table that differs from its declaration asks for npm run schema', async (t) => {
  await t.rejects(load(csv(CLEAN_2024)), { code: 'TABLE_NOT_READY' }, 'the table has the regione column the model without it does not declare');
});

t.test('recovery at start: staging leftovers dropped, a load killed before the swap is interrupted, one killed just after it is completed', async (t) => {
  const withRegion = modelOf(SAD_CUBE.replace('      eta: { type: UInt8 }', '      regione: { type: String, lookup: { table: territorio, by: comune, column: regione } }\n      eta: { type: UInt8 }'));
  const ok = await runLoad(engine, withRegion, { table: 'sad_test', ...csv(CLEAN_2024), fileName: 'x.csv' });
  t.equal(ok.status, 'succeeded');
  const [{ uuid }] = await engine.query<{ uuid: string }>(`SELECT toString(uuid) AS uuid FROM system.tables WHERE database = 'pas' AND name = 'sad_test'`);
  const base = { ...ok, finishedAt: null, error: '' };
  await writeJournal(engine, { ...base, id: 'crash-before', status: 'running', shadowUuid: '' });
  await writeJournal(engine, { ...base, id: 'crash-after', status: 'committing', shadowUuid: uuid });
  await engine.command(`CREATE TABLE ${engine.table('_stg_sad_test_crash_before')} AS ${T}`);
  await engine.command(`CREATE TABLE ${engine.table('_new_sad_test_crash_before')} AS ${T}`);
  const before = await digest();
  const r = await recoverLoads(engine);
  t.same(r, { droppedTables: ['_new_sad_test_crash_before', '_stg_sad_test_crash_before'].sort(), interrupted: ['crash-before'], completed: ['crash-after'] });
  r.droppedTables.sort();
  const states = Object.fromEntries((await listLoads(engine)).filter((l) => l.id.startsWith('crash')).map((l) => [l.id, l.status]));
  t.same(states, { 'crash-before': 'interrupted', 'crash-after': 'succeeded' });
  t.same(await digest(), before);
  t.same(await recoverLoads(engine), { droppedTables: [], interrupted: [], completed: [] }, 'a second start has nothing to do');
});
