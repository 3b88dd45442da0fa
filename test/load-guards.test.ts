/**
 * The guards of a load on a real embedded engine, each asserted on the
 * table's row count and checksum: the shrink guard (a half file refused, then
 * accepted when confirmed), the declared row count and SHA-256, free space,
 * a corrupt file, the staging parts gone after a failed load (not waiting
 * eight minutes), queued loads and rows read so far in the journal, and the
 * separator and encoding detected from the file.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { listLoads } from '../server/load/journal.ts';
import { runLoad, type LoadInput } from '../server/load/run.ts';
import { loadModel, readDir } from '../server/model/load.ts';
import { applyMigration, planMigration } from '../server/tables/migrate.ts';
import { sadEngine } from './helpers/sad-engine.ts';
import { SAD_CUBE } from './fixtures/sad-cube.ts';

const { engine, model, table: T } = await sadEngine(t);
const files = mkdtempSync(join(tmpdir(), 'pas-guards-'));

const digest = async () => (await engine.query<{ n: number; h: string }>(`SELECT count() AS n, toString(sum(cityHash64(*))) AS h FROM ${T}`))[0];
const HEADER = 'anno,utente_id,comune,eta,genere,ore';
const rows = (year: number, n: number, from = 1) => Array.from({ length: n }, (_, i) => `${year},${from + i},058091,${40 + (i % 50)},${1 + (i % 2)},${i % 7}`);
const text = (lines: string[]) => [HEADER, ...lines].join('\n') + '\n';
const csv = (lines: string[]) => ({ bytes: Readable.from([Buffer.from(text(lines))]), format: 'csv' as const });
const load = (input: Partial<LoadInput>) => runLoad(engine, model, { table: 'sad_test', format: 'csv', fileName: 'test.csv', ...input });
const leftovers = async () => ({
  tables: (await engine.query<{ name: string }>(`SELECT name FROM system.tables WHERE database = 'pas' AND (startsWith(name, '_stg_') OR startsWith(name, '_new_'))`)).map((r) => r.name),
  parts: Number((await engine.query<{ n: number }>(`SELECT count() AS n FROM system.parts WHERE database = 'pas' AND (startsWith(table, '_stg_') OR startsWith(table, '_new_'))`))[0].n),
  // Dropped without SYNC, a table waits here (and keeps its parts on disk) for database_atomic_delay_before_drop_table_sec, 480 s.
  waitingForDeletion: Number((await engine.query<{ n: number }>(`SELECT count() AS n FROM system.dropped_tables WHERE database = 'pas' AND (startsWith(table, '_stg_') OR startsWith(table, '_new_'))`))[0].n),
});

t.test('shrink guard: half a year is refused with both counts, then accepted when confirmed', async (t) => {
  const full = await load(csv([...rows(2023, 40), ...rows(2024, 10, 100)]));
  t.same([full.status, full.rowsAccepted, full.rowsReplaced], ['succeeded', 50, 0], 'new batches replace nothing');
  const before = await digest();
  const half = await load(csv(rows(2023, 20)));
  t.same([half.status, half.refusal, half.rowsRead, half.rowsReplaced], ['rejected', 'shrink', 20, 40]);
  t.equal(
    half.error,
    "il caricamento ridurrebbe i dati sotto il 80 % delle righe che sostituisce (lotto 2023: 20 righe nuove al posto di 40): file troncato? Se la riduzione è voluta, ripetere con --allow-shrink (allow_shrink=true); nessuna riga caricata",
  );
  t.same(await digest(), before, 'the table is exactly as before');
  t.same((await listLoads(engine, { id: half.id }))[0].rowsReplaced, 40, 'the journal records the rows it would have replaced');
  const enough = await load(csv(rows(2023, 32)));
  t.same([enough.status, enough.rowsReplaced, enough.rowsAccepted], ['succeeded', 40, 32], '32 of 40 is 80 %: accepted');
  const confirmed = await load({ ...csv(rows(2023, 20)), allowShrink: true });
  t.same([confirmed.status, confirmed.rowsReplaced, confirmed.rowsAccepted], ['succeeded', 32, 20]);
  t.same(await engine.query(`SELECT anno, count() AS n FROM ${T} GROUP BY anno ORDER BY anno`), [{ anno: 2023, n: 20 }, { anno: 2024, n: 10 }], '2024 untouched');
  const share = await load({ ...csv(rows(2023, 12)), shrinkShare: 0.5 });
  t.same([share.status, share.rowsAccepted], ['succeeded', 12], 'the share is configurable: 12 of 20 passes at 50 %');
});

t.test('replacing demo data is not a shrink', async (t) => {
  const [{ n }] = await engine.query<{ n: number }>(`SELECT count() AS n FROM ${engine.table('prestazioni')}`);
  t.ok(Number(n) > 100);
  const r = await runLoad(engine, model, {
    table: 'prestazioni', format: 'csv', fileName: 'psa.csv',
    bytes: Readable.from([Buffer.from('anno;trimestre;beneficiario_id;comune;eta;genere;ente;codice_prestazione;carattere;presa_in_carico;area_utenza;prova_mezzi;importo;isee\n2024;1;1;058091;40;1;INPS;A1.06;1;1;3;1;100;\n')]),
  });
  t.same([r.status, r.replacedDemo, r.rowsReplaced, r.rowsAccepted], ['succeeded', true, Number(n), 1], r.error);
});

t.test('what was sent: a row count or SHA-256 that differs is refused and the table is unchanged', async (t) => {
  const body = text(rows(2024, 10, 100));
  const sha = createHash('sha256').update(body).digest('hex');
  const before = await digest();
  const fewer = await load({ bytes: Readable.from([Buffer.from(body)]), expectRows: 11 });
  t.same([fewer.status, fewer.refusal, fewer.rowsRead], ['rejected', 'expect_rows', 10]);
  t.equal(fewer.error, "il file ha 10 righe di dati ma ne erano attese 11 (--expect-rows / expect_rows): file incompleto o diverso da quello inviato, nessuna riga caricata");
  const other = await load({ bytes: Readable.from([Buffer.from(body)]), sha256: 'a'.repeat(64) });
  t.same([other.status, other.refusal], ['rejected', 'checksum']);
  t.equal(other.error, `lo SHA-256 del file ricevuto (${sha}) è diverso da quello dichiarato (${'a'.repeat(64)}): il file è arrivato alterato o incompleto, nessuna riga caricata`);
  t.same(await digest(), before, 'unchanged');
  const ok = await load({ bytes: Readable.from([Buffer.from(body)]), expectRows: 10, sha256: sha });
  t.same([ok.status, ok.checksum], ['succeeded', sha]);
});

t.test('free space is checked before the load starts', async (t) => {
  const before = await digest();
  const r = await load({ ...csv(rows(2024, 10, 100)), totalBytes: 1e15 });
  t.same([r.status, r.refusal, r.rowsRead], ['rejected', 'space', 0], 'refused before reading a row');
  t.match(r.error, /^spazio libero insufficiente: servono circa [\d.]+ MB \(il file e la sua copia di appoggio\), liberi [\d.]+ MB in .+; liberare spazio e riprovare, nessuna riga caricata$/);
  t.same(await digest(), before);
  t.same(await leftovers(), { tables: [], parts: 0, waitingForDeletion: 0 });
});

t.test('a corrupt file is the client\'s: refused with the line, and its staging parts are gone at once', async (t) => {
  const before = await digest();
  const quote = await load(csv([...rows(2024, 3, 100), '2024,104,058091,40,1,"3', '2024,105,058091,40,1,3']));
  t.same([quote.status, quote.refusal, quote.rejects.file], ['rejected', 'file', ['riga 5: virgolette aperte e mai chiuse: il file è troncato o un campo contiene una virgoletta non raddoppiata']]);
  const parquet = join(files, 'cut.parquet');
  await engine.command(`INSERT INTO FUNCTION file({p:String}, 'Parquet') SELECT anno, utente_id, comune, eta, genere, ore FROM ${T}`, { p: parquet });
  const { readFileSync } = await import('node:fs');
  writeFileSync(parquet, readFileSync(parquet).subarray(0, 200));
  const cut = await load({ path: parquet, format: 'parquet', fileName: 'cut.parquet' });
  t.same([cut.status, cut.refusal], ['rejected', 'file']);
  t.match(cut.rejects.file[0], /^file Parquet non leggibile \(.+\): il file è troncato o non è un Parquet$/);
  t.same(await digest(), before);
  t.same(await leftovers(), { tables: [], parts: 0, waitingForDeletion: 0 }, 'no staging table, no staging part, nothing waiting to be deleted');
});

t.test('a load that fails midway keeps the rows read so far in the journal and leaves no staging parts', async (t) => {
  const before = await digest();
  const body = new PassThrough();
  const running = load({ bytes: body, fileName: 'stream.csv' });
  body.write(text(rows(2024, 150_000, 1000)));
  let seen: { status: string; rowsRead: number } | undefined;
  for (let i = 0; i < 2000 && !(seen && seen.rowsRead >= 100_000); i++) {
    await new Promise((r) => setTimeout(r, 20));
    [seen] = await listLoads(engine, { table: 'sad_test', limit: 1 });
  }
  t.equal(seen?.status, 'running');
  t.ok(seen!.rowsRead >= 100_000, `the journal shows the rows read while running (${seen!.rowsRead})`);
  body.destroy(new Error('disco esterno scollegato'));
  await t.rejects(running, { code: 'LOAD_FAILED' });
  const [failed] = await listLoads(engine, { table: 'sad_test', limit: 1 });
  t.same([failed.status, failed.error], ['failed', 'disco esterno scollegato']);
  t.ok(failed.rowsRead >= 100_000, 'rows read so far kept');
  t.same(await digest(), before);
  t.same(await leftovers(), { tables: [], parts: 0, waitingForDeletion: 0 });
});

t.test('a load waiting behind another is journaled as queued', async (t) => {
  const first = new PassThrough();
  const a = load({ bytes: first, fileName: 'first.csv' });
  first.write(`${HEADER}\n`);
  const b = load({ ...csv(rows(2024, 10, 100)), fileName: 'second.csv' });
  let states: Record<string, string> = {};
  for (let i = 0; i < 3000 && !(states['second.csv'] === 'queued' && states['first.csv'] === 'running'); i++) {
    await new Promise((r) => setTimeout(r, 20));
    states = Object.fromEntries((await listLoads(engine, { table: 'sad_test', limit: 2 })).map((l) => [l.fileName, l.status]));
  }
  t.same(states, { 'first.csv': 'running', 'second.csv': 'queued' }, 'the second load is in the journal before it starts');
  first.end(rows(2024, 10, 100).join('\n') + '\n');
  t.same([(await a).status, (await b).status], ['succeeded', 'succeeded']);
});

t.test('separator and encoding detected from the file: a ";" Latin-1 file with the default options', async (t) => {
  const latin1 = Buffer.from('anno;utente_id;comune;eta;genere;ore;note\n2024;1;058091;80;1;3,5;Caffè e città\n', 'latin1');
  const r = await load({ bytes: Readable.from([latin1]), allowShrink: true });
  t.same([r.status, r.rejects.notes], ['succeeded', ['separatore ";" rilevato dall\'intestazione', 'codifica Latin-1 (Windows-1252) rilevata: il file non è UTF-8']], r.error);
  t.same(await engine.query(`SELECT note, toString(ore) AS ore FROM ${T} WHERE anno = 2024`), [{ note: 'Caffè e città', ore: '3.5' }]);
  const forced = await load({ bytes: Readable.from([latin1]), separator: ',' });
  t.equal(forced.status, 'rejected');
  t.equal(
    forced.rejects.file.at(-1),
    "l'intestazione sembra separata da \";\", non da \",\": togliere l'opzione del separatore (è rilevato da solo) oppure indicare --separator ';' (separator=%3B)",
    'a wrong explicit separator says exactly which option to use',
  );
});

t.test('running out of space during a load: 507 with a clear message and a journal entry, the table unchanged', async (t) => {
  const before = await digest();
  const body = new PassThrough();
  const running = load({ bytes: body, fileName: 'full.csv' });
  body.write(text(rows(2030, 10, 1)));
  setTimeout(() => body.destroy(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })), 50);
  await t.rejects(running, { code: 'LOAD_NO_SPACE', status: 507 });
  const [failed] = await listLoads(engine, { table: 'sad_test', limit: 1 });
  t.same([failed.fileName, failed.status], ['full.csv', 'failed']);
  t.equal(failed.error, 'spazio su disco esaurito durante il caricamento (ENOSPC: no space left on device, write): dati precedenti intatti, lo spazio occupato dal caricamento è già stato liberato; liberare spazio e riprovare');
  t.same(await digest(), before);
  t.same(await leftovers(), { tables: [], parts: 0, waitingForDeletion: 0 });
});

t.test('reddito_annuo: empty allowed for the inactive, required for employees and the self-employed', async (t) => {
  const { compileValidator } = await import('../server/load/validate.ts');
  const v = compileValidator(model.tables.get('pon_condizioni')!, { codes: new Map([['territorio.ats', new Set(['A'])]]), lookups: new Map() });
  const row = (condizione: string, reddito: string) => v.check({ componente_id: 'C', ats: 'A', dal: '2018-01-01', condizione, reddito_annuo: reddito, isced: '3' });
  t.same(row('inattivo', ''), { ok: true, values: ['C', 'A', '2018-01-01', 'inattivo', null, '3'] });
  t.same(row('dipendente', ''), { ok: false, errors: [{ column: 'reddito_annuo', reason: 'valore obbligatorio quando condizione è dipendente o autonomo', value: 'dipendente' }] });
  t.same(row('autonomo', '4800'), { ok: true, values: ['C', 'A', '2018-01-01', 'autonomo', '4800', '3'] });
});

t.test('Date -> Date32: npm run schema widens the column in place, keeping every row, and births before 1970 load', async (t) => {
  await load({ ...csv(rows(2024, 3, 100)), allowShrink: true });
  const asDate32 = loadModel({ files: { ...readDir('cubes'), 'cubes/sad_test.yaml': SAD_CUBE.replace('inizio: { type: Date, required: false }', 'inizio: { type: Date32, required: false }') } });
  const old = await load({ bytes: Readable.from([Buffer.from(`${HEADER},inizio\n2024,1,058091,80,1,3,1969-12-31\n`)]), allowShrink: true });
  t.same(old.rejects.first.map((e) => e.reason), ["data fuori dall'intervallo 1970-2149 (tipo Date: per date anteriori al 1970 la colonna va dichiarata Date32)"]);
  await load({ bytes: Readable.from([Buffer.from(`${HEADER},inizio\n2024,1,058091,80,1,3,1999-12-31\n2024,2,058091,80,1,3,\n`)]), allowShrink: true });
  const values = async (where = '1') => engine.query(`SELECT anno, utente_id, toString(inizio) AS inizio FROM ${T} WHERE ${where} ORDER BY anno, utente_id`);
  const kept = await values();
  const plan = await planMigration(engine, asDate32);
  t.same(plan.refusals, []);
  t.same(plan.steps.map((s) => [s.table, s.action, s.column]), [['sad_test', 'widen_columns', 'inizio Nullable(Date) -> Nullable(Date32)']]);
  await applyMigration(engine, plan);
  t.same(await engine.query(`SELECT type FROM system.columns WHERE database = 'pas' AND table = 'sad_test' AND name = 'inizio'`), [{ type: 'Nullable(Date32)' }]);
  t.same(await values(), kept, 'every row kept');
  t.same((await planMigration(engine, asDate32)).steps, [], 'a second run changes nothing');
  t.same(await engine.query(`SELECT name FROM system.tables WHERE database = 'pas' AND startsWith(name, '_mig_')`), []);
  const r = await runLoad(engine, asDate32, { table: 'sad_test', format: 'csv', fileName: 'x.csv', bytes: Readable.from([Buffer.from(`${HEADER},inizio\n2024,1,058091,80,1,3,1940-05-01\n2024,2,058091,80,1,3,\n`)]) });
  t.equal(r.status, 'succeeded', r.error);
  t.same(await values('anno = 2024'), [{ anno: 2024, utente_id: 1, inizio: '1940-05-01' }, { anno: 2024, utente_id: 2, inizio: null }]);
  const narrowing = await planMigration(engine, model);
  t.match(narrowing.refusals.map((x) => x.reason), [/la colonna inizio è Nullable\(Date32\) nella tabella ma Nullable\(Date\) nel file/], 'Date32 -> Date could lose dates: refused');
});

t.test('a batch of tables stopped between two swaps is finished at the next start, and the start says so', async (t) => {
  const { writeJournal } = await import('../server/load/journal.ts');
  const { recoverLoads, recoveryLine } = await import('../server/load/recover.ts');
  const uuid = async (name: string) => (await engine.query<{ u: string }>(`SELECT toString(uuid) AS u FROM system.tables WHERE database = 'pas' AND name = {n:String}`, { n: name }))[0].u;
  // Two tables of one batch ready to swap; the process stops after the first swap.
  await engine.command(`CREATE TABLE ${engine.table('_stg_sad_test_g1')} AS ${T}`);
  await engine.command(`INSERT INTO ${engine.table('_stg_sad_test_g1')} (anno, utente_id, comune, ats, eta, genere, ore) VALUES (2030, 1, '058091', 'X', 1, 1, 1)`);
  await engine.command(`CREATE TABLE ${engine.table('_stg_pon_progetti_g1')} AS ${engine.table('pon_progetti')}`);
  await engine.command(`INSERT INTO ${engine.table('_stg_pon_progetti_g1')} VALUES ('ATS00000', '1965-01-01', 7)`);
  const [base] = await listLoads(engine, { table: 'sad_test', limit: 1 });
  const record = (id: string, table: string, shadowUuid: string) => ({ ...base, id, table, status: 'committing' as const, shadowUuid, groupId: 'g1', finishedAt: null, error: '' });
  await writeJournal(engine, record('g1-a', 'sad_test', await uuid('_stg_sad_test_g1')));
  await writeJournal(engine, record('g1-b', 'pon_progetti', await uuid('_stg_pon_progetti_g1')));
  await engine.command(`EXCHANGE TABLES ${T} AND ${engine.table('_stg_sad_test_g1')}`);
  const r = await recoverLoads(engine);
  t.same([r.completed.sort(), r.interrupted], [['g1-a', 'g1-b'], []]);
  t.same(await engine.query(`SELECT ats, toString(dia) AS dia, nuclei_previsti FROM ${engine.table('pon_progetti')}`), [{ ats: 'ATS00000', dia: '1965-01-01', nuclei_previsti: 7 }], 'the second table swapped in at start');
  t.same(await engine.query(`SELECT anno FROM ${T}`), [{ anno: 2030 }]);
  t.same(r.droppedTables.sort(), ['_stg_pon_progetti_g1', '_stg_sad_test_g1']);
  t.equal(
    recoveryLine(r),
    "pulizia di caricamenti interrotti: -; tabelle di appoggio eliminate: 2; riusciti nonostante l'arresto (la tabella era già stata scambiata): g1-a, g1-b",
  );
  t.same(await leftovers(), { tables: [], parts: 0, waitingForDeletion: 0 });
});
