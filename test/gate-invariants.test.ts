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

/**
 * Every read is a plan compiled by the one compiler (issue #17): SQL text of a
 * read exists only in the compiler. Loads (load/), DDL (tables/) and demo data
 * generation (data/) keep their own statements; the engine's lanes read bound
 * parameters from their own table (engine/lanes.ts), which is how parameters
 * travel, not a read of data.
 */
const MAY_WRITE_SQL = (f: string) => f === 'server/query/compile.ts' || f === 'server/engine/lanes.ts' || ['load', 'tables', 'data'].includes(folderOf(f));
/** `SELECT … FROM <table>` in code or text; MDX (`FROM [cube]`, `FROM $system.ROWSET`) is not SQL. A `\nFROM` inside a template literal counts. */
const SQL_SELECT = /\bSELECT\b[\s\S]{0,300}?(?:\b|(?<=\\n))FROM\s+(?!\[|\$system)/;
/** A query run with SQL written in place (a string or template literal) rather than a compiled plan. */
const LITERAL_QUERY = /\.query\s*(?:<[^()]{0,200}?>)?\(\s*[`'"]/;

t.test('SQL text of reads only in the compiler (and loads, DDL, demo data)', async (t) => {
  t.same(files.filter((f) => !MAY_WRITE_SQL(f) && SQL_SELECT.test(readFileSync(f, 'utf8'))), [], 'no SELECT … FROM outside the compiler');
  t.same(files.filter((f) => !MAY_WRITE_SQL(f) && LITERAL_QUERY.test(readFileSync(f, 'utf8'))), [], 'no engine.query with SQL written in place');
  // The checks see SQL where it is, and tell it from MDX.
  t.ok(SQL_SELECT.test(readFileSync('server/query/compile.ts', 'utf8')), 'sees the compiler');
  t.ok(files.some((f) => folderOf(f) === 'load' && LITERAL_QUERY.test(readFileSync(f, 'utf8'))), 'sees literal queries in load/');
  for (const sql of ['SELECT name FROM system.tables WHERE database = {db:String}', 'SELECT ${quoteIdentifier(k)} AS k FROM ${engine.table(t)}', '`SELECT a,\n b\n FROM x`', 'SELECT ${cols}\\nFROM ${table}'])
    t.ok(SQL_SELECT.test(sql), `sees ${JSON.stringify(sql)}`);
  for (const mdx of ['SELECT {[Measures].[x]} ON 0 FROM [prestazioni]', 'SELECT * FROM $system.MDSCHEMA_CUBES', 'Runs a SELECT and returns rows'])
    t.notOk(SQL_SELECT.test(mdx), `not SQL: ${mdx}`);
  for (const call of ["engine.query('SHOW TABLES')", 'engine.query<{ name: string }>(`SELECT 1`)', "ctx.engine.query<Omit<Member, 'x'> & { id: string }>(\n  `SELECT`"])
    t.ok(LITERAL_QUERY.test(call), `sees ${JSON.stringify(call)}`);
  t.notOk(LITERAL_QUERY.test('engine.query<T>(sql, params)'), 'a compiled statement passes');
});

t.test("select plans reach the compiler only through the gate; the system's own reads are few and named", async (t) => {
  const makesGated = (f: string) => /reader:\s*'(?:system|principal)'\s*[,}]/.test(readFileSync(f, 'utf8'));
  t.same(files.filter((f) => f !== 'server/security/gate.ts' && makesGated(f)), [], 'only the gate makes a GatedSelect');
  t.ok(makesGated('server/security/gate.ts'), 'the check sees where it is made');
  const systemReads = files.filter((f) => f !== 'server/security/gate.ts' && /\bsystemRead\(/.test(readFileSync(f, 'utf8')));
  t.same(systemReads.sort(), ['server/data/bootstrap.ts', 'server/http/routes/admin.ts', 'server/query/labels.ts', 'server/security/demo-users.ts', 'server/security/directory.ts'], 'load metadata, the admin catalog, labels, demo users, reference data');
  t.ok(/\bsecurePon\(/.test(readFileSync('server/pon/load.ts', 'utf8')), 'PON microdata are scoped by the gate');
});
