/**
 * While another process (the server) holds the data directory, the tools that
 * need it stop at once and say what to do instead.
 */
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliSandbox, failure } from './helpers/cli.ts';
import { tempEngine } from './helpers/engine.ts';

const { dir, dispose } = await tempEngine(); // this process now holds dir, as the server would
t.teardown(dispose);
const { tsx, dataDir, dispose: disposeSandbox } = cliSandbox('pas-busy-', { DATA_DIR: '' });
t.teardown(disposeSandbox);

t.test('load and schema on a data directory in use', async (t) => {
  const file = join(dataDir, 'x.csv');
  writeFileSync(file, 'anno\n2024\n');
  const load = await failure(tsx('server/cli/load.ts', ['--table', 'prestazioni', '--file', file], { DATA_DIR: dir }));
  t.equal(load.code, 1);
  t.match(load.stderr, new RegExp(`La cartella ${dir} è in uso \\(server avviato\\?\\): fermarlo, oppure caricare attraverso il server con --server URL --token <token admin>`));
  const schema = await failure(tsx('server/cli/schema.ts', [], { DATA_DIR: dir }));
  t.equal(schema.code, 1);
  t.match(schema.stderr, /è in uso \(server avviato\?\): fermarlo, oppure usare POST \/v1\/admin\/schema con un token admin/);
});
