/**
 * A real third-party XMLA client against the running server: olap4j's XMLA
 * driver (Debian libolap4j-java, Java) lists catalogs, cubes, hierarchies,
 * levels and scoped members and runs PivotTable-style MDX; every cell is
 * checked against the REST API's answer for the same query and profile, and
 * the grand total against hand-written SQL.
 */
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { demoApp } from './helpers/app.ts';
import { protectedTruth } from './helpers/cellkey.ts';
import { cellKey, coordinates, restIndex } from './helpers/xmla.ts';

const run = promisify(execFile);
const JARS = ['/usr/share/java/olap4j.jar', '/usr/share/java/olap4j-xmla.jar', '/usr/share/java/xercesImpl.jar'];
const FIXTURES = 'test/fixtures/xmla';

const hasJdk = await run('javac', ['-version']).then(() => true, () => false);
const missing = [...JARS.filter((j) => !existsSync(j)), ...(hasJdk ? [] : ['javac (JDK)'])];
if (missing.length) {
  t.fail(`Il test con il client XMLA olap4j non può girare: mancano ${missing.join(', ')}. Installare con: apt-get install default-jdk-headless libolap4j-java libxerces2-java (lo fa .ci/run).`);
} else {
  await main();
}

interface ClientOutput {
  catalogs: string[];
  cubes: string[];
  hierarchies: { uniqueName: string; caption: string; levels: { uniqueName: string; caption: string; depth: number }[] }[];
  measures: { uniqueName: string; caption: string }[];
  members: Record<string, { uniqueName: string; caption: string; children: number }[]>;
  queries: { mdx: string; axes: string[][][]; cells: { value: string | null; formatted: string | null }[] }[];
}

async function main() {
  const classes = mkdtempSync(join(tmpdir(), 'xmla-java-'));
  t.teardown(() => rmSync(classes, { recursive: true, force: true }));
  const cp = [...JARS, classes].join(':');
  // The driver's missing JDBC-4 base classes (FactoryJdbc4Plus) and the client, compiled for this run.
  await run('javac', ['-nowarn', '-d', classes, '-cp', cp, `${FIXTURES}/FactoryJdbc4Plus.java`, `${FIXTURES}/XmlaClient.java`]);

  const demo = await demoApp(40_000, 7);
  t.teardown(demo.dispose);
  const { app, engine } = demo;
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/xmla`;
  const P = engine.table('prestazioni');
  const [{ regione }] = await engine.query<{ regione: string }>(`SELECT regione FROM ${P} GROUP BY regione ORDER BY count() DESC LIMIT 1`);

  const keys = {
    nazionale: demo.apiKeys.create({ name: 'excel-naz', profile: 'nazionale' }).key,
    regionale: demo.apiKeys.create({ name: 'excel-reg', profile: 'regionale', scope: regione }).key,
  };
  const headers = { nazionale: { 'x-api-key': keys.nazionale }, regionale: { 'x-api-key': keys.regionale } };

  const client = async (who: keyof typeof keys, levels: string[], mdx: string[]): Promise<ClientOutput> => {
    // A short user name: olap4j's Basic header breaks base64 lines after 76 characters.
    const { stdout } = await run('java', ['-cp', cp, 'XmlaClient', url, 'u', keys[who], 'prestazioni', ...levels, '--', ...mdx], { timeout: 240_000, maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(stdout) as ClientOutput;
  };
  const rest = async (who: keyof typeof keys, spec: Record<string, unknown>) => {
    const res = await app.inject({ method: 'POST', url: '/v1/cubes/prestazioni/query', headers: headers[who], payload: { limit: 100_000, ...spec } });
    if (res.statusCode !== 200) throw new Error(`REST ${JSON.stringify(spec)}: ${res.body}`);
    const dims = [...((spec.rows as string[]) ?? []), ...((spec.columns as string[]) ?? [])];
    return { dims, rows: res.json().rows as Record<string, unknown>[] };
  };
  const members = async (who: keyof typeof keys, dimension: string) => {
    const res = await app.inject({ method: 'GET', url: `/v1/cubes/prestazioni/dimensions/${dimension}/members?limit=10000`, headers: headers[who] });
    return (res.json().members as { key: string; label: { it: string } }[]).map((m) => ({ key: String(m.key), caption: m.label.it }));
  };

  /** Every cell of an olap4j answer against the REST rows of the same groupings; returns how many cells were protected. */
  const compare = (t: Test, out: ClientOutput['queries'][number], levels: Map<string, string[]>, index: Map<string, Record<string, unknown>>, slicerMeasure?: string) => {
    const sizes = out.axes.map((a) => a.length);
    let suppressed = 0;
    let nonEmpty = 0;
    out.cells.forEach((cell, ordinal) => {
      let rest = ordinal;
      const tuple: string[] = [];
      sizes.forEach((n, a) => {
        tuple.push(...out.axes[a][rest % n]);
        rest = Math.floor(rest / n);
      });
      const { dims, measure } = coordinates(tuple, levels);
      const m = measure ?? slicerMeasure!;
      const row = index.get(cellKey(dims));
      const label = `${tuple.join(' × ')} ${m}`;
      if (!row) return t.equal(cell.value, null, `${label}: no REST row, empty cell`);
      if (row.suppressed) {
        suppressed++;
        t.equal(cell.value, null, `${label}: protected in REST, no value`);
        t.equal(cell.formatted, 'n.d.', `${label}: protected cells say so`);
        return;
      }
      if (row[m] === null) return t.equal(cell.value, null, label);
      nonEmpty++;
      t.equal(Number(cell.value), row[m], label);
    });
    return { suppressed, nonEmpty };
  };

  t.test('olap4j lists the catalog, cubes, hierarchies with their levels and measures', async (t) => {
    const out = await client('nazionale', ['[territorio].[territorio].[regione]', '[tempo].[tempo].[anno]'], []);
    t.same(out.catalogs, ['PAS']);
    t.ok(out.cubes.includes('prestazioni'));
    const h = (u: string) => out.hierarchies.find((x) => x.uniqueName === u)!;
    t.same(h('[territorio].[territorio]').levels.map((l) => l.caption), ['(All)', 'Regione / Provincia autonoma', 'Ambito territoriale sociale', 'Comune']);
    t.same(h('[tempo].[tempo]').levels.map((l) => l.uniqueName), ['[tempo].[tempo].[(All)]', '[tempo].[tempo].[anno]', '[tempo].[tempo].[trimestre]']);
    t.same(h('[prestazione].[prestazione]').levels.map((l) => l.caption), ['(All)', 'Categoria prestazione', 'Codice prestazione']);
    t.ok(h('[fascia_isee].[fascia_isee]'), 'bands are hierarchies too');
    t.match(out.measures, [{ uniqueName: '[Measures].[importo]', caption: 'Importo erogato' }]);
    // Members: exactly the REST member lists.
    const regioni = await members('nazionale', 'regione');
    t.same(out.members['[territorio].[territorio].[regione]'].map((m) => m.caption), regioni.map((m) => m.caption));
    t.same(out.members['[territorio].[territorio].[regione]'].map((m) => m.uniqueName), regioni.map((m) => `[territorio].[territorio].[regione].&[${m.key}]`));
    const anni = await members('nazionale', 'anno');
    t.same(out.members['[tempo].[tempo].[anno]'].map((m) => m.uniqueName), anni.map((m) => `[tempo].[tempo].[anno].&[${m.key}]`));
    t.ok(out.members['[territorio].[territorio].[regione]'].every((m) => m.children > 0), 'every region has ATS below it');
  });

  t.test('a regional profile sees only its own region and its ATS', async (t) => {
    const out = await client('regionale', ['[territorio].[territorio].[regione]', '[territorio].[territorio].[ats]'], []);
    t.same(out.members['[territorio].[territorio].[regione]'].map((m) => m.uniqueName), [`[territorio].[territorio].[regione].&[${regione}]`]);
    const ats = await members('regionale', 'ats');
    t.same(out.members['[territorio].[territorio].[ats]'].map((m) => m.caption).sort(), ats.map((m) => m.caption).sort());
    t.ok(out.members['[territorio].[territorio].[ats]'].every((m) => m.uniqueName.startsWith(`[territorio].[territorio].[ats].&[${regione}]&[`)));
  });

  const q1 = 'SELECT NON EMPTY {[Measures].[beneficiari], [Measures].[importo]} ON COLUMNS, NON EMPTY Hierarchize({DrilldownLevel({[territorio].[territorio].[All]},,,INCLUDE_CALC_MEMBERS)}) DIMENSION PROPERTIES PARENT_UNIQUE_NAME, HIERARCHY_UNIQUE_NAME ON ROWS FROM [prestazioni] WHERE ([tempo].[tempo].[anno].&[2023]) CELL PROPERTIES VALUE, FORMATTED_VALUE, FORMAT_STRING';
  const q2 =
    'SELECT NON EMPTY Hierarchize({DrilldownLevel({[carattere].[carattere].[All]},,,INCLUDE_CALC_MEMBERS)}) DIMENSION PROPERTIES PARENT_UNIQUE_NAME ON COLUMNS, ' +
    'NON EMPTY CrossJoin(Hierarchize({DrilldownLevel({[territorio].[territorio].[All]},,,INCLUDE_CALC_MEMBERS)}), Hierarchize({DrilldownLevel({[area_utenza].[area_utenza].[All]},,,INCLUDE_CALC_MEMBERS)})) DIMENSION PROPERTIES PARENT_UNIQUE_NAME ON ROWS ' +
    'FROM (SELECT ({[tempo].[tempo].[anno].&[2023]}) ON COLUMNS FROM [prestazioni]) WHERE ([Measures].[beneficiari]) CELL PROPERTIES VALUE, FORMATTED_VALUE';

  t.test('PivotTable MDX through olap4j: every cell equals the REST answer, protection included', async (t) => {
    const out = await client('nazionale', [], [q1, q2]);
    const levels = new Map<string, string[]>([['territorio', ['regione', 'ats', 'comune']], ['tempo', ['anno', 'trimestre']], ['carattere', ['carattere']], ['area_utenza', ['area_utenza']]]);
    const anno2023 = [{ dimension: 'anno', op: 'eq', value: 2023 }];

    const r1 = restIndex([await rest('nazionale', { measures: ['beneficiari', 'importo'], rows: ['regione'], filters: anno2023, totals: true })]);
    const c1 = compare(t, out.queries[0], levels, r1);
    t.equal(out.queries[0].axes[1].length, [...r1.keys()].length, 'one row per REST row (regions with data and the total)');
    t.equal(out.queries[0].axes[1][0][0], '[territorio].[territorio].[All]', 'the All member first, as Hierarchize puts it');
    // The truth by hand (distinct persons in 2023), published through the documented p-table with cell keys from the test's own SQL.
    const truth = await protectedTruth(engine, { table: P, where: 'anno = 2023', dims: [], rule: demo.model.cubes.get('prestazioni')!.disclosure! }, { n: { kind: 'persons' } });
    t.equal(Number(out.queries[0].cells[0].value), truth.get('')!.n, 'grand total = hand-written SQL through the p-table (distinct beneficiaries, not a sum)');
    t.ok(c1.nonEmpty > 20);

    // Two row fields and a column field: the pivot's own spec with totals and subtotals, plus the (All regions × area) groupings.
    const main = { measures: ['beneficiari'], rows: ['regione', 'area_utenza'], columns: ['carattere'], filters: anno2023, totals: true, subtotals: true };
    const r2 = restIndex([
      await rest('nazionale', main),
      await rest('nazionale', { ...main, rows: ['area_utenza'], totals: false, subtotals: false }),
      await rest('nazionale', { ...main, rows: ['area_utenza'], columns: [], totals: false, subtotals: false }),
    ]);
    const c2 = compare(t, out.queries[1], levels, r2, 'beneficiari');
    t.ok(c2.nonEmpty > 100, `${c2.nonEmpty} cells compared`);
    const small = out.queries[1].cells.filter((c) => c.value !== null && [1, 2].includes(Number(c.value)));
    t.same(small, [], 'no published count of 1 or 2: every cell carries the cell key noise of REST (small regions in 2023 included)');
  });

  t.test('the regional profile gets its own figures, as REST gives them to it', async (t) => {
    const out = await client('regionale', [], [q1]);
    const levels = new Map<string, string[]>([['territorio', ['regione', 'ats', 'comune']]]);
    const r1 = restIndex([await rest('regionale', { measures: ['beneficiari', 'importo'], rows: ['regione'], filters: [{ dimension: 'anno', op: 'eq', value: 2023 }], totals: true })]);
    compare(t, out.queries[0], levels, r1);
    t.same(out.queries[0].axes[1].map((p) => p[0]), ['[territorio].[territorio].[All]', `[territorio].[territorio].[regione].&[${regione}]`]);
  });
}
