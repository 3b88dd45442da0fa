/**
 * Loads over HTTP: the guards' answers (409 for a shrink with both counts,
 * 422 for a corrupt file with its line, a row count or a Content-Digest that
 * differs), and upload spools gone after a failed and after an interrupted
 * load, and swept at start. Every refusal leaves the table's count and
 * checksum as they were.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ModelRegistry } from '../server/admin/registry.ts';
import { prepareData } from '../server/data/bootstrap.ts';
import { buildApp } from '../server/http/app.ts';
import { ApiKeyStore } from '../server/security/api-keys.ts';
import { createVerifier, mintToken } from '../server/security/tokens.ts';
import { tempEngine } from './helpers/engine.ts';
import { TEST_SECRET } from './helpers/app.ts';
import { SAD_CUBE } from './fixtures/sad-cube.ts';

const { engine, dir, dispose } = await tempEngine();
await prepareData(engine, { demoRows: 1000, seed: 5, log: () => {} });
const cubes = mkdtempSync(join(tmpdir(), 'pas-loadhttp-cubes-'));
cpSync('cubes', cubes, { recursive: true });
writeFileSync(join(cubes, 'sad_test.yaml'), SAD_CUBE);
const uploads = join(dir, 'uploads');
mkdirSync(uploads, { recursive: true });
writeFileSync(join(uploads, 'upload-0123456789ab.parquet'), 'left by a server killed mid-upload');
const registry = await ModelRegistry.open({ dir: cubes, engine });
const app = await buildApp({
  context: () => registry.context(),
  reports: () => registry.reports(),
  admin: { registry, spoolDir: uploads },
  auth: { verify: await createVerifier({ secret: TEST_SECRET }), apiKeys: new ApiKeyStore(join(dir, 'keys.json')) },
});
t.teardown(async () => {
  await app.close();
  await dispose();
  rmSync(cubes, { recursive: true, force: true });
});
const admin = { authorization: `Bearer ${await mintToken({ secret: TEST_SECRET, profile: 'admin', subject: 't:admin', expiresIn: '1h' })}` };
const T = engine.table('sad_test');
const digest = async () => (await engine.query<{ n: number; h: string }>(`SELECT count() AS n, toString(sum(cityHash64(*))) AS h FROM ${T}`))[0];
const HEADER = 'anno,utente_id,comune,eta,genere,ore';
const body = (year: number, n: number) => [HEADER, ...Array.from({ length: n }, (_, i) => `${year},${i + 1},058091,${30 + (i % 40)},${1 + (i % 2)},${i % 5}`)].join('\n') + '\n';
const post = (payload: string | Buffer, params = '', headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: `/v1/admin/loads?table=sad_test&${params}`, headers: { ...admin, 'content-type': 'text/csv', ...headers }, payload });

t.test('spools left by a previous run are swept when the server starts', async (t) => {
  t.same(readdirSync(uploads), []);
  t.equal((await app.inject({ method: 'POST', url: '/v1/admin/schema', headers: admin })).statusCode, 200);
});

t.test('shrink guard over HTTP: 409 with both counts, 201 with allow_shrink=true', async (t) => {
  t.equal((await post(body(2023, 100))).statusCode, 201);
  const before = await digest();
  const half = await post(body(2023, 50));
  t.same([half.statusCode, half.json().code, half.json().load.refusal, half.json().load.rowsReplaced], [409, 'LOAD_SHRINK', 'shrink', 100]);
  t.match(half.json().detail, /lotto 2023: 50 righe nuove al posto di 100/);
  t.same(await digest(), before, 'the table is unchanged');
  const confirmed = await post(body(2023, 50), 'allow_shrink=true');
  t.same([confirmed.statusCode, confirmed.json().rowsReplaced, confirmed.json().rowsAccepted], [201, 100, 50]);
  t.equal(Number((await digest()).n), 50);
});

t.test('expect_rows, sha256 and Content-Digest: a file arriving different is refused, the table unchanged', async (t) => {
  const file = body(2023, 50);
  const sha = createHash('sha256').update(file);
  const hex = sha.copy().digest('hex');
  const b64 = sha.digest('base64');
  const before = await digest();
  const rows = await post(file, 'expect_rows=60');
  t.same([rows.statusCode, rows.json().code, rows.json().load.refusal], [422, 'LOAD_REJECTED', 'expect_rows']);
  t.match(rows.json().detail, /il file ha 50 righe di dati ma ne erano attese 60/);
  const wrong = await post(file, '', { 'content-digest': `sha-256=:${Buffer.alloc(32).toString('base64')}:` });
  t.same([wrong.statusCode, wrong.json().load.refusal], [422, 'checksum']);
  const legacy = await post(file, '', { digest: `SHA-256=${Buffer.alloc(32, 1).toString('base64')}` });
  t.same([legacy.statusCode, legacy.json().load.refusal], [422, 'checksum'], 'the legacy Digest header too');
  t.same(await digest(), before);
  const right = await post(file, 'expect_rows=50', { 'content-digest': `sha-512=:AAAA:, sha-256=:${b64}:` });
  t.same([right.statusCode, right.json().checksum], [201, hex]);
  t.same((await post(file, `sha256=${hex}`)).statusCode, 201, 'or as a parameter');
  t.same(await digest(), before, 'the same rows again');
});

t.test('a corrupt file is answered 422 with its line; a corrupt Parquet upload leaves no spool', async (t) => {
  const before = await digest();
  const quote = await post(`${HEADER}\n2023,1,058091,40,1,1\n2023,2,058091,40,1,"1\n`);
  t.same([quote.statusCode, quote.json().code, quote.json().load.rejects.file], [422, 'LOAD_REJECTED', ['riga 3: virgolette aperte e mai chiuse: il file è troncato o un campo contiene una virgoletta non raddoppiata']]);
  const parquet = join(dir, 'sad.parquet');
  await engine.command(`INSERT INTO FUNCTION file({p:String}, 'Parquet') SELECT anno, utente_id, comune, eta, genere, ore FROM ${T}`, { p: parquet });
  const { readFileSync } = await import('node:fs');
  const cut = await post(readFileSync(parquet).subarray(0, 300), '', { 'content-type': 'application/vnd.apache.parquet' });
  t.same([cut.statusCode, cut.json().load.refusal], [422, 'file']);
  t.match(cut.json().load.rejects.file[0], /^file Parquet non leggibile/);
  t.same(readdirSync(uploads), [], 'the spool of the failed load is deleted');
  t.same(await digest(), before);
});

t.test('a client that goes away mid-upload: journaled as a disconnect, no spool left, nothing changed', async (t) => {
  const before = await digest();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  await new Promise<void>((resolve) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/admin/loads?table=sad_test&file_name=cut.parquet', headers: { ...admin, 'content-type': 'application/vnd.apache.parquet', 'content-length': '1000000' } });
    req.on('error', () => resolve());
    req.write(Buffer.alloc(50_000, 1));
    // Destroyed once the server has the first bytes: the spool exists by then.
    const wait = setInterval(() => {
      if (readdirSync(uploads).length) {
        clearInterval(wait);
        req.destroy();
        resolve();
      }
    }, 10);
  });
  let cut: { status: string; error: string; fileName: string } | undefined;
  for (let i = 0; i < 400 && cut?.status !== 'failed'; i++) {
    await new Promise((r) => setTimeout(r, 25));
    [cut] = (await app.inject({ method: 'GET', url: '/v1/admin/loads?table=sad_test&limit=1', headers: admin })).json().loads;
  }
  t.same([cut?.fileName, cut?.status, cut?.error], ['cut.parquet', 'failed', "connessione interrotta dal client durante l'invio del file: dati precedenti intatti"]);
  t.same(readdirSync(uploads), [], 'the spool of the interrupted upload is deleted');
  t.same(await digest(), before);
});

t.test('a load still running is listed with its progress, within the response contract', async (t) => {
  const upload = new PassThrough();
  const posted = app.inject({ method: 'POST', url: '/v1/admin/loads?table=sad_test&allow_shrink=true', headers: { ...admin, 'content-type': 'text/csv' }, payload: upload });
  const rows = body(2022, 2000);
  upload.write(rows.slice(0, rows.length / 2));
  let seen: Awaited<ReturnType<typeof app.inject>> | undefined;
  for (let i = 0; i < 400 && !seen; i++) {
    await new Promise((r) => setTimeout(r, 10));
    const res = await app.inject({ method: 'GET', url: '/v1/admin/loads?table=sad_test&limit=1', headers: admin });
    if (res.statusCode !== 200 || res.json().loads[0]?.progress) seen = res;
  }
  upload.end(rows.slice(rows.length / 2));
  t.equal(seen?.statusCode, 200, `the list answers while the load runs: ${seen?.body.slice(0, 300)}`);
  const [running] = seen!.statusCode === 200 ? seen!.json().loads : [];
  t.equal(running?.status, 'running');
  t.match(running?.progress, { rowsRead: Number, rowsRejected: 0, bytesRead: Number, phase: 'reading' });
  t.notOk('id' in (running?.progress ?? {}), "the progress carries no id of its own: it is the record's");
  t.equal((await posted).statusCode, 201);
});
