/** The command-line tools, run as a user runs them (demo-data: test/data-cli.test.ts). */
import t from 'tap';
import { join } from 'node:path';
import { createVerifier, demoSecret } from '../server/security/tokens.ts';
import { cliSandbox, failure } from './helpers/cli.ts';

const sandbox = cliSandbox('pas-cli-');
t.teardown(sandbox.dispose);
const { dataDir, tsx } = sandbox;

t.test('token mints a JWT the server verifies; apikey creates, lists and revokes', async (t) => {
  const { stdout } = await tsx('server/cli/token.ts', ['--profile', 'ats', '--scope', 'ATS12005', '--sub', 'mario.rossi']);
  const verify = await createVerifier({ secret: demoSecret(join(dataDir, 'jwt-secret')) });
  t.same(await verify(stdout.trim()), { id: 'mario.rossi', profile: 'ats', scope: 'ATS12005' });
  const noScope = await failure(tsx('server/cli/token.ts', ['--profile', 'comunale']));
  t.equal(noScope.code, 2);
  t.match(noScope.stderr, /richiede --scope/);
  const created = await tsx('server/cli/apikey.ts', ['create', '--name', 'script-r', '--profile', 'regionale', '--scope', '12']);
  const id = created.stdout.match(/chiave (\w+) creata/)![1];
  t.match(created.stdout, /\npas_[\w-]{43}\n/);
  t.match((await tsx('server/cli/apikey.ts', ['list'])).stdout, new RegExp(`${id}\\tscript-r\\tregionale\\t12\\t.*\\tattiva`));
  await tsx('server/cli/apikey.ts', ['revoke', id]);
  t.match((await tsx('server/cli/apikey.ts', ['list'])).stdout, /revocata/);
});

t.test('cubes check validates the shipped files and names each error by file, line and column', async (t) => {
  const ok = await tsx('server/cli/cubes.ts', ['check']);
  t.match(ok.stdout, /^ok: 5 cubi \(isee, popolazione, prestazioni, sina, sinba\), 19 report/);
  const { cpSync, writeFileSync, readFileSync } = await import('node:fs');
  const dir = join(dataDir, 'cubes-broken');
  cpSync('cubes', dir, { recursive: true });
  writeFileSync(join(dir, 'prestazioni.yaml'), readFileSync('cubes/prestazioni.yaml', 'utf8').replace('    format: euro\n    type: sum\n    column: importo\n', '    format: euro\n    type: somma\n    column: importo\n'));
  writeFileSync(join(dir, 'reports', 'quadro_ats.yaml'), readFileSync('cubes/reports/quadro_ats.yaml', 'utf8').replace('kpis: [importo,', 'kpis: [importi,'));
  const bad = await failure(tsx('server/cli/cubes.ts', ['check', '--dir', dir]));
  t.equal(bad.code, 1);
  t.match(bad.stderr, /prestazioni\.yaml:\d+:11 \(measures -> importo -> type\): expected one of "sum", "count", "count_distinct", "ratio"/);
  t.match(bad.stderr, /1 errore/, 'the report file is checked once the cubes are valid');
  const usage = await failure(tsx('server/cli/cubes.ts', ['verifica']));
  t.equal(usage.code, 2);
});
