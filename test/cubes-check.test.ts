/**
 * `npm run cubes -- check` on good and bad files: a wrong type, an unknown
 * column of the declared table, a duplicate member, broken YAML. The exact
 * file:line:col of each error is counted by hand in the fixtures below.
 */
import t from 'tap';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliSandbox, failure } from './helpers/cli.ts';
import { SAD_CUBE } from './fixtures/sad-cube.ts';

const { tsx, dispose } = cliSandbox('pas-check-');
t.teardown(dispose);

function cubesWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pas-cubes-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync('cubes', dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
/** file:line:col of the first occurrence of a text, 1-based like the checker. */
const at = (text: string, needle: string) => `${lineOf(text, needle)}:${text.split('\n')[lineOf(text, needle) - 1].indexOf(needle) + 1}`;

t.test('a good cube file with a declared table passes', async (t) => {
  const ok = await tsx('server/cli/cubes.ts', ['check', '--dir', cubesWith({ 'sad_test.yaml': SAD_CUBE })]);
  t.match(ok.stdout, /^ok: 6 cubi \(isee, popolazione, prestazioni, sad_test, sina, sinba\), 19 report/);
});

t.test('each kind of error, with its exact position', async (t) => {
  const wrongType = SAD_CUBE.replace('type: count_distinct', 'type: conta');
  const unknownColumn = SAD_CUBE.replace('column: ore }', 'column: ore_erogate }');
  const duplicate = SAD_CUBE.replace('  genere: { use: genere }', '  stato:\n    column: genere\n    type: integer\n    members:\n      - { key: 1, label: Attivo }\n      - { key: 1, label: Chiuso }');
  const badYaml = SAD_CUBE.replace('name: sad_test', 'name: sad_test\nlabel: [non chiusa');
  const cases: [string, string, RegExp][] = [
    ['sad_test.yaml', wrongType, new RegExp(`(^|/)sad_test\\.yaml:${at(wrongType, 'conta')} \\(measures -> utenti -> type\\): expected one of "sum", "count", "count_distinct", "ratio"$`, 'm')],
    ['sad_test.yaml', unknownColumn, new RegExp(`(^|/)sad_test\\.yaml:${at(unknownColumn, 'ore_erogate')} \\(measures -> ore -> column\\): unknown column "ore_erogate" of table sad_test`, 'm')],
    ['sad_test.yaml', duplicate, new RegExp(`(^|/)sad_test\\.yaml:${at(duplicate, '1, label: Chiuso')} \\(dimensions -> stato -> members -> 1 -> key\\): member key 1 is listed twice$`, 'm')],
    ['sad_test.yaml', badYaml, new RegExp(`(^|/)sad_test\\.yaml:${lineOf(badYaml, '[non chiusa') + 1}:1: YAML: `, 'm')],
  ];
  for (const [file, text, expected] of cases) {
    const bad = await failure(tsx('server/cli/cubes.ts', ['check', '--dir', cubesWith({ [file]: text })]));
    t.equal(bad.code, 1);
    t.match(bad.stderr, expected);
  }
});
