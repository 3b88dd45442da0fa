/**
 * A load killed midway (SIGKILL, the process really dies) leaves the table
 * exactly as it was; the next start cleans up its staging table and records
 * it as interrupted.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { cpSync, createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { cliSandbox } from './helpers/cli.ts';
import { SAD_CUBE } from './fixtures/sad-cube.ts';

const sandbox = cliSandbox('pas-kill-');
t.teardown(sandbox.dispose);
const cubes = join(sandbox.dataDir, 'cubes');
cpSync('cubes', cubes, { recursive: true });
writeFileSync(join(cubes, 'sad_test.yaml'), SAD_CUBE);

const digest = async () => JSON.parse((await sandbox.tsx('test/helpers/table-digest.ts', ['sad_test'])).stdout) as { n: number; h: string; leftovers: string[]; loads: { id: string; status: string; rowsRead: number }[] };
const load = (file: string) => sandbox.tsx('server/cli/load.ts', ['--table', 'sad_test', '--file', file, '--dir', cubes]);

t.test('kill -9 during a load', async (t) => {
  await sandbox.tsx('server/cli/demo-data.ts', ['--rows', '1000']);
  await sandbox.tsx('server/cli/schema.ts', ['--dir', cubes]);
  const small = join(sandbox.dataDir, 'small.csv');
  writeFileSync(small, 'anno,utente_id,comune,eta,genere,ore\n2024,1,058091,80,1,3\n2024,2,058091,81,2,4\n2023,3,015146,40,2,5\n');
  const first = await load(small);
  t.match(first.stdout, /riuscito/);
  const before = await digest();
  t.equal(before.n, 3);

  // Big enough that the loader is still reading when it is killed: 3 million rows of the same two batches.
  const big = join(sandbox.dataDir, 'big.csv');
  const out = createWriteStream(big);
  out.write('anno,utente_id,comune,eta,genere,ore\n');
  for (let i = 0; i < 3_000_000; i += 10_000) {
    let chunk = '';
    for (let j = i; j < i + 10_000; j++) chunk += `${2023 + (j % 2)},${j},058091,${j % 100},${1 + (j % 2)},${j % 50}.5\n`;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');

  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/load.ts', '--table', 'sad_test', '--file', big, '--dir', cubes], { env: sandbox.env });
  let stderr = '';
  const killedWhileReading = new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /\[carico\] (?!pubblicazione)[\d,]+% · ([\d.]+) righe lette/.exec(stderr);
      if (m && Number(m[1].replaceAll('.', '')) > 0 && !child.killed) {
        child.kill('SIGKILL');
        resolve(m[0]);
      }
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? undefined : reject(new Error(`the load ended before it could be killed (exit ${code}): ${stderr}`))));
  });
  const progress = await killedWhileReading;
  await once(child, 'exit').catch(() => undefined);
  t.equal(child.signalCode, 'SIGKILL', `killed while reading: ${progress}`);

  const after = await digest();
  t.same([after.n, after.h], [before.n, before.h], 'row count and checksum of the table unchanged');
  t.equal(after.leftovers.length, 1, 'the staging table of the killed load is still there until the next start');
  const killed = after.loads[0];
  t.equal(killed.status, 'running', 'the journal shows the load never finished');

  const next = await load(small);
  t.match(next.stderr, new RegExp(`pulizia di caricamenti interrotti: ${killed.id}; tabelle di appoggio eliminate: 1`));
  const clean = await digest();
  t.same(clean.leftovers, []);
  t.equal(clean.loads.find((l) => l.id === killed.id)?.status, 'interrupted');
  t.same([clean.n, clean.h], [before.n, before.h], 'reloading the same small file gives the same table');
});
