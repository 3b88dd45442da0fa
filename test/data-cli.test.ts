/** `npm run demo-data`: argument errors, generation, reuse, --force regeneration. */
import t from 'tap';
import { cliSandbox, failure } from './helpers/cli.ts';

const sandbox = cliSandbox('pas-data-cli-', { CLICKHOUSE_URL: '', DEMO_ROWS: '', DEMO_SEED: '' });
t.teardown(sandbox.dispose);
const demoData = (args: string[], extraEnv: Record<string, string> = {}) => sandbox.tsx('server/cli/demo-data.ts', args, extraEnv);
const generated = (stdout: string) => Number(stdout.match(/\[dati\] prestazioni: ([\d.]+) righe generate in \d+,\d s/)?.[1].replaceAll('.', ''));

t.test('bad arguments: exit code 2 and a message that says what is expected', async (t) => {
  for (const [args, message] of [
    [['--rows', 'molte'], /--rows deve essere un intero tra 1000 e 1\.000\.000\.000 \(ricevuto molte\)/],
    [['--rows', '10'], /--rows deve essere un intero/],
    [['--seed=-1'], /--seed deve essere un intero >= 0 \(ricevuto -1\)/],
    [['--seed', '-1'], /--seed' argument is ambiguous/],
    [['--righe', '5'], /Unknown option '--righe'[\s\S]*uso: npm run demo-data/],
    [['extra'], /Unexpected argument 'extra'[\s\S]*uso:/],
  ] as const) {
    const bad = await failure(demoData([...args]));
    t.equal(bad.code, 2, args.join(' '));
    t.match(bad.stderr, message);
  }
  const env = await failure(demoData([], { DEMO_ROWS: 'tante' }));
  t.equal(env.code, 2);
  t.match(env.stderr, /DEMO_ROWS/);
});

t.test('generates, reuses, and regenerates with --force', async (t) => {
  const first = await demoData(['--rows', '6_000', '--seed', '5']);
  t.match(first.stdout, /\[dati\] territorio: 7904 comuni ISTAT, \d+ ATS generati/);
  const n1 = generated(first.stdout);
  t.match(first.stdout, /\[dati\] prestazioni 2023: [\d.]+ righe generate/, 'a progress line per year');
  t.ok(Math.abs(n1 - 6000) / 6000 < 0.1, `${n1} rows`);
  t.match(first.stdout, /\[dati\] SINA: /);

  const again = await demoData(['--rows', '9000']);
  t.match(again.stdout, /dati esistenti riusati: [\d.]+ prestazioni/);
  t.notMatch(again.stdout, /righe generate/);
  t.notMatch(again.stdout, /territorio:/, 'reference data is not loaded again');

  const forced = await demoData(['--rows', '12000', '--seed', '6', '--force']);
  t.match(forced.stdout, /eliminate \(--force\)/);
  t.notMatch(forced.stdout, /territorio:/, 'reference data is kept');
  const n2 = generated(forced.stdout);
  t.ok(Math.abs(n2 - 12000) / 12000 < 0.1, `${n2} rows after --force`);
  t.match(forced.stdout, /\[dati\] SINA: /, 'the derived SINA, SINBA and ISEE records are generated again');
});
