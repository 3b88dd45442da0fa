/**
 * The gate is the only place that decides access (issue #12): no module
 * outside server/security/ refuses access, and security/ sits below query/
 * (it imports nothing from query/, so the two cannot import each other).
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}
const files = sources('server');
const folderOf = (file: string) => relative('server', file).split('/')[0];
/** Relative imports of a file, resolved to paths under server/. */
const importsOf = (file: string) =>
  [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gm)].map((m) => relative('.', resolve(dirname(file), m[1])));

t.test('access refusals (FORBIDDEN_*) are raised only in server/security/', async (t) => {
  const outside = files.filter((f) => folderOf(f) !== 'security' && /AppError\(\s*'FORBIDDEN_/.test(readFileSync(f, 'utf8')));
  t.same(outside, [], 'no FORBIDDEN_ error outside security/');
  t.ok(files.some((f) => folderOf(f) === 'security' && /AppError\(\s*'FORBIDDEN_/.test(readFileSync(f, 'utf8'))), 'the check can see them where they are');
});

t.test('security/ and plan/ import nothing from query/ (no query <-> security cycle)', async (t) => {
  const edges = files
    .filter((f) => ['security', 'plan'].includes(folderOf(f)))
    .flatMap((f) => importsOf(f).filter((i) => i.startsWith('server/query/')).map((i) => `${f} -> ${i}`));
  t.same(edges, []);
  t.ok(files.some((f) => folderOf(f) === 'query' && importsOf(f).some((i) => i.startsWith('server/security/'))), 'query/ does go through security/ (the check sees edges)');
});

t.test('query/ reaches security/ only through the gate and the disclosure algorithm', async (t) => {
  const used = new Set(files.filter((f) => folderOf(f) === 'query').flatMap((f) => importsOf(f).filter((i) => i.startsWith('server/security/'))));
  t.same([...used].sort(), ['server/security/directory.ts', 'server/security/disclosure.ts', 'server/security/gate.ts', 'server/security/principal.ts']);
});
