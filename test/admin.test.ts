/**
 * Administration over HTTP on the real app: the admin role kept apart from the
 * data profiles, hot reload of cubes/ (a valid change picked up, an invalid one
 * refused while queries keep answering on the old model, the error shown as
 * the CLI shows it), loads streamed to POST /v1/admin/loads, the journal, and
 * the data version in answers after a load.
 */
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { prepareData } from '../server/data/bootstrap.ts';
import { formatIssue, loadModel, ModelError } from '../server/model/load.ts';
import { ApiKeyStore } from '../server/security/api-keys.ts';
import type { Role } from '../server/security/principal.ts';
import { tempEngine } from './helpers/engine.ts';
import { adminApp } from './helpers/admin-app.ts';
import { TEST_CELL_KEY_SECRET } from './helpers/app.ts';
import { protectedTruth } from './helpers/cellkey.ts';

const { engine, dir, dispose } = await tempEngine();
await prepareData(engine, { demoRows: 20_000, seed: 5, log: () => {} });
const apiKeys = new ApiKeyStore(join(dir, 'keys.json'));
const { app, registry, cubes, bearer } = await adminApp(t, { engine, dataDir: dir, disposeEngine: dispose, apiKeys, registry: { debounceMs: 50, cellKeySecret: TEST_CELL_KEY_SECRET } });
registry.watch();
const admin = await bearer('admin');
const national = await bearer('nazionale');
const [{ ats, regione, comune }] = await engine.query<{ ats: string; regione: string; comune: string }>(`SELECT ats, regione, comune FROM ${engine.table('territorio')} WHERE comune = '058091'`);

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

t.test('the admin role and the data profiles are kept apart', async (t) => {
  const ok = await app.inject({ method: 'GET', url: '/v1/admin/status', headers: admin });
  t.equal(ok.statusCode, 200);
  // Eleven declared tables (counted in the files): dsu, five pon_*, popolazione, prestazioni, sad_test, sina, sinba; only sad_test is not created yet.
  const tables = ok.json().model.tables as { name: string; file: string; exists: boolean }[];
  t.same(tables.map((x) => x.name).sort(), ['dsu', 'pon_componenti', 'pon_condizioni', 'pon_nuclei', 'pon_progetti', 'pon_servizi', 'popolazione', 'prestazioni', 'sad_test', 'sina', 'sinba']);
  t.same(tables.filter((x) => !x.exists).map((x) => x.name), ['sad_test']);
  t.equal(tables.find((x) => x.name === 'sad_test')!.file, relative(process.cwd(), join(cubes, 'sad_test.yaml')));
  for (const [profile, scope] of [['nazionale'], ['regionale', regione], ['ats', ats], ['comunale', comune], ['ente', 'INPS']] as [Role, string?][]) {
    const res = await app.inject({ method: 'GET', url: '/v1/admin/status', headers: await bearer(profile, scope) });
    t.equal(res.statusCode, 403, `${profile} may not administer`);
    t.equal(res.json().code, 'FORBIDDEN_ROLE');
    const load = await app.inject({ method: 'POST', url: '/v1/admin/loads?table=sad_test', headers: { ...(await bearer(profile, scope)), 'content-type': 'text/csv' }, payload: 'anno\n' });
    t.equal(load.statusCode, 403, `${profile} may not load`);
  }
  for (const [method, url, payload] of [['POST', '/v1/cubes/prestazioni/query', { measures: ['beneficiari'] }], ['GET', '/v1/cubes', undefined], ['GET', '/v1/reports', undefined]] as const) {
    const res = await app.inject({ method, url, headers: admin, ...(payload ? { payload } : {}) });
    t.equal(res.statusCode, 403, `admin may not read data at ${url}`);
    t.match(res.json().detail, /non consulta i dati/);
  }
  t.equal((await app.inject({ method: 'GET', url: '/v1/admin/status' })).statusCode, 401);
  const { key } = apiKeys.create({ name: 'caricamenti', profile: 'admin' });
  t.equal((await app.inject({ method: 'GET', url: '/v1/admin/loads', headers: { 'x-api-key': key } })).statusCode, 200, 'an admin API key');
});

const query = (measures: string[], rows: string[] = []) => app.inject({ method: 'POST', url: '/v1/cubes/prestazioni/query', headers: national, payload: { measures, rows } });

t.test('hot reload: a valid change is picked up, an invalid one refused while the old model answers', async (t) => {
  const file = join(cubes, 'prestazioni.yaml');
  const original = readFileSync(file, 'utf8');
  const before = (await query(['beneficiari'], ['anno'])).json().rows;
  const v1 = registry.snapshot().version;
  const oldContext = registry.context();

  writeFileSync(file, original.replace('measures:\n', 'measures:\n  prestazioni_erogate:\n    label: Prestazioni erogate\n    definition: Numero di record.\n    format: integer\n    type: count\n'));
  await until(() => registry.snapshot().version > v1, 'the valid change');
  const added = await query(['prestazioni_erogate']);
  t.equal(added.statusCode, 200);
  // A national answer is protected: the hand count goes through the documented cell key method.
  const { n } = (await protectedTruth(engine, { table: engine.table('prestazioni'), where: '1', dims: [], rule: registry.context().model.cubes.get('prestazioni')!.disclosure! }, { n: { kind: 'records' } })).get('')!;
  t.equal(added.json().rows[0].prestazioni_erogate, n, 'the new measure counts the records (hand SQL)');
  t.notOk(oldContext.model.cubes.get('prestazioni')!.measures.has('prestazioni_erogate'), 'a request holding the old snapshot keeps the old model');
  t.ok(registry.context().model.cubes.get('prestazioni')!.measures.has('prestazioni_erogate'));

  const v2 = registry.snapshot().version;
  const broken = original.replace('    format: euro\n    type: sum\n', '    format: euro\n    type: somma\n');
  writeFileSync(file, broken);
  await until(() => registry.lastError() !== null, 'the refusal');
  t.equal(registry.snapshot().version, v2, 'the model in use did not change');
  let expected: string[] = [];
  try {
    loadModel({ dir: cubes });
  } catch (err) {
    expected = (err as ModelError).issues.map(formatIssue);
  }
  const status = (await app.inject({ method: 'GET', url: '/v1/admin/status', headers: admin })).json();
  t.same(status.lastError.issues, expected, 'the same messages as npm run cubes -- check');
  t.match(status.lastError.issues[0], /prestazioni\.yaml:\d+:\d+ \(measures -> importo -> type\): expected one of "sum"/);
  const during = await query(['beneficiari', 'prestazioni_erogate'], ['anno']);
  t.equal(during.statusCode, 200, 'queries keep answering');
  t.same(during.json().rows.map((r: { anno: number; beneficiari: number }) => [r.anno, r.beneficiari]), before.map((r: { anno: number; beneficiari: number }) => [r.anno, r.beneficiari]), 'with the same numbers');

  writeFileSync(file, original);
  await until(() => registry.lastError() === null, 'the fix');
  t.ok(registry.snapshot().version > v2);
  t.equal((await query(['prestazioni_erogate'])).statusCode, 400, 'the measure is gone with the change that added it');
});

const csv = (rows: string[]) => ['anno;utente_id;comune;eta;genere;ore', ...rows].join('\n') + '\n';
const post = (body: string | Buffer, params: string, contentType = 'text/csv') =>
  app.inject({ method: 'POST', url: `/v1/admin/loads?table=sad_test&${params}`, headers: { ...admin, 'content-type': contentType }, payload: body });

t.test('loads over HTTP: schema, a clean Latin-1 file, bad rows refused with reasons, the journal, the data version in answers', async (t) => {
  const early = await app.inject({ method: 'POST', url: '/v1/cubes/sad_test/query', headers: national, payload: { measures: ['utenti'] } });
  t.same([early.statusCode, early.json().code], [409, 'TABLE_NOT_READY'], 'a cube whose table is not created yet says what to do');
  t.match(early.json().detail, /npm run schema/);
  const schema = await app.inject({ method: 'POST', url: '/v1/admin/schema', headers: admin });
  t.same(schema.json().steps.map((s: { action: string }) => s.action), ['create_table']);
  t.equal((await app.inject({ method: 'GET', url: '/v1/admin/status', headers: admin })).json().model.tables.find((x: { name: string }) => x.name === 'sad_test').exists, true);
  const nat = (await bearer('nazionale'));

  const latin1 = Buffer.from('anno;utente_id;comune;eta;genere;ore;note\n2024;1;058091;80;1;3,5;Caffè e città\n2024;2;058091;81;2;4;\n2024;3;058091;82;2;5;\n2024;4;015146;40;1;1;\n', 'latin1');
  const clean = await post(latin1, 'separator=%3B&encoding=latin1&file_name=sad.csv');
  t.equal(clean.statusCode, 201);
  const load = clean.json();
  t.same([load.status, load.rowsRead, load.rowsAccepted, load.rowsRejected, load.batches, load.fileName], ['succeeded', 4, 4, 0, ['2024'], 'sad.csv']);
  const answer = await app.inject({ method: 'POST', url: '/v1/cubes/sad_test/query', headers: nat, payload: { measures: ['utenti', 'ore'], rows: ['comune'] } });
  t.equal(answer.json().dataVersion, load.id, 'the answer names the load as its data version');
  t.equal(answer.headers['x-data-version'], load.id);
  // Roma 3.5+4+5 by 3 persons, Milano 1 person: published as the documented cell key method gives them (Milano 0 or at least 3 persons).
  const sad = registry.context().model.cubes.get('sad_test')!.disclosure!;
  const sadTruth = (dims: string[]) => protectedTruth(engine, { table: engine.table('sad_test'), where: '1', dims, rule: sad }, { ore: { kind: 'amount', column: 'ore' } });
  t.same(answer.json().rows.map((r: { comune: string; ore: number }) => [r.comune, r.ore]).sort(), [...(await sadTruth(['comune']))].map(([k, v]) => [k, v.ore]).sort(), 'Roma 3.5+4+5; Milano has one person: perturbed');
  t.notOk(answer.json().rows.some((r: { utenti: number }) => r.utenti === 1 || r.utenti === 2), 'no 1 or 2 persons published');
  t.same(await engine.query(`SELECT note FROM ${engine.table('sad_test')} WHERE utente_id = 1`), [{ note: 'Caffè e città' }], 'Latin-1 decoded');

  const bad = await post(csv(['2024;1;058091;80;1;3', '2024;2;999999;81;2;4', '2024;3;058091;82;9;5']), 'separator=%3B');
  t.equal(bad.statusCode, 422);
  t.equal(bad.json().code, 'LOAD_REJECTED');
  t.same(bad.json().load.rejects.first.map((e: { line: number; column: string }) => [e.line, e.column]), [[3, 'comune'], [4, 'genere']]);
  const still = await app.inject({ method: 'POST', url: '/v1/cubes/sad_test/query', headers: nat, payload: { measures: ['ore'] } });
  t.same([still.json().rows[0].ore, still.json().dataVersion], [(await sadTruth([])).get('')!.ore, load.id], 'the refused load changed nothing');

  // An upload cut off halfway (the client goes away): nothing changes, nothing is left behind.
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  const { request } = await import('node:http');
  await new Promise<void>((resolve) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/admin/loads?table=sad_test&separator=%3B', headers: { ...admin, 'content-type': 'text/csv', 'content-length': '100000' } });
    req.on('error', () => resolve());
    req.write('anno;utente_id;comune;eta;genere;ore\n2024;1;058091;80;1;3\n2024;2;0580');
    setTimeout(() => {
      req.destroy();
      resolve();
    }, 300);
  });
  let cut: { status: string } | undefined;
  for (let i = 0; i < 200 && cut?.status !== 'failed'; i++) {
    await new Promise((r) => setTimeout(r, 25));
    [cut] = (await app.inject({ method: 'GET', url: '/v1/admin/loads?table=sad_test&limit=1', headers: admin })).json().loads;
  }
  t.equal(cut?.status, 'failed', 'the cut upload is journaled as failed');
  const after = await app.inject({ method: 'POST', url: '/v1/cubes/sad_test/query', headers: nat, payload: { measures: ['ore'] } });
  t.same([after.json().rows[0].ore, after.json().dataVersion], [(await sadTruth([])).get('')!.ore, load.id], 'and changed nothing');
  t.same(await engine.query(`SELECT name FROM system.tables WHERE database = 'pas' AND name LIKE '\\_%'`), [], 'no staging table left');

  const check = await post(csv(['2024;1;058091;80;1;3']), 'separator=%3B&check=true');
  t.same([check.statusCode, check.json().status], [200, 'checked'], 'check=true validates and loads nothing');
  const journal = (await app.inject({ method: 'GET', url: '/v1/admin/loads?table=sad_test', headers: admin })).json().loads;
  t.same(journal.map((l: { status: string }) => l.status), ['checked', 'failed', 'rejected', 'succeeded']);
  const one = (await app.inject({ method: 'GET', url: `/v1/admin/loads/${journal[2].id}`, headers: admin })).json();
  t.equal(one.rejects.totals.length, 2);
  t.equal((await app.inject({ method: 'GET', url: '/v1/admin/loads/nope', headers: admin })).statusCode, 404);

  const ndjson = await post('{"anno":2023,"utente_id":9,"comune":"058091","eta":50,"genere":1,"ore":2}\n', '', 'application/x-ndjson');
  t.same([ndjson.statusCode, ndjson.json().batches], [201, ['2023']]);
  const byYear = await engine.query(`SELECT anno, count() AS n FROM ${engine.table('sad_test')} GROUP BY anno ORDER BY anno`);
  t.same(byYear, [{ anno: 2023, n: 1 }, { anno: 2024, n: 4 }], 'the 2023 batch added, 2024 kept');

  const unknown = await app.inject({ method: 'POST', url: '/v1/admin/loads?table=nessuna', headers: { ...admin, 'content-type': 'text/csv' }, payload: 'a\n1\n' });
  t.same([unknown.statusCode, unknown.json().code], [400, 'INVALID_REQUEST']);
  t.match(unknown.json().detail, /tabelle caricabili: dsu, pon_progetti, pon_nuclei, pon_componenti, pon_condizioni, pon_servizi, popolazione, prestazioni, sad_test, sina, sinba/);
});

t.test('a PON extract loaded over HTTP becomes the data version of the PON sheet', async (t) => {
  const path = join(dir, 'pon_progetti.csv');
  await engine.command(`INSERT INTO FUNCTION file({path:String}, 'CSVWithNames') SELECT * FROM ${engine.table('pon_progetti')} SETTINGS engine_file_truncate_on_insert = 1`, { path });
  const before = (await engine.query<{ n: number }>(`SELECT count() AS n FROM ${engine.table('pon_progetti')}`))[0].n;
  const load = await app.inject({ method: 'POST', url: '/v1/admin/loads?table=pon_progetti&file_name=pon_progetti.csv', headers: { ...admin, 'content-type': 'text/csv' }, payload: readFileSync(path) });
  t.same([load.statusCode, load.json().rowsAccepted], [201, Number(before)], 'the whole table replaced by the extract');
  const [{ ats: ponAts }] = await engine.query<{ ats: string }>(`SELECT ats FROM ${engine.table('pon_nuclei')} GROUP BY ats ORDER BY count() DESC LIMIT 1`);
  const sheet = await app.inject({ method: 'POST', url: '/v1/pon/avviso3/scheda', headers: national, payload: { ats: ponAts, fine_periodo: '2019-12-31' } });
  t.equal(sheet.statusCode, 200, sheet.body.slice(0, 200));
  t.same([sheet.json().dataVersion, sheet.headers['x-data-version']], [load.json().id, load.json().id]);
});

