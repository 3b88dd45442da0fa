/**
 * `npm run schema -- --cluster NAME --print`: the DDL for a ClickHouse
 * cluster, checked by the embedded engine's parser (formatQuery), since no
 * ClickHouse server can run here: Replicated local tables, Distributed tables
 * sharded by the person id, reference tables replicated whole on every node.
 */
import t from 'tap';
import { ENGINES, TABLES } from '../server/data/schema.ts';
import { loadModel } from '../server/model/load.ts';
import { clusterDdl, shardingColumn } from '../server/tables/cluster.ts';
import { cliSandbox, failure } from './helpers/cli.ts';
import { tempEngine } from './helpers/engine.ts';

const model = loadModel({ dir: 'cubes' });
const reference = Object.fromEntries(Object.entries(TABLES).map(([name, columns]) => [name, { columns, engine: ENGINES[name as keyof typeof TABLES] }]));
const ddl = clusterDdl(model, { cluster: 'pas_cluster', database: 'pas', reference });

t.test('every statement parses in the embedded ClickHouse', async (t) => {
  const { engine, dispose } = await tempEngine();
  t.teardown(dispose);
  for (const statement of ddl) {
    const [{ f }] = await engine.query<{ f: string }>('SELECT formatQuery({q:String}) AS f', { q: statement });
    t.ok(f.startsWith('CREATE '), statement.slice(0, 80));
  }
  // The parser is not lenient: a broken statement is refused.
  await t.rejects(engine.query('SELECT formatQuery({q:String}) AS f', { q: `${ddl[1]} ENGINE` }));
});

t.test('declared tables: Replicated local + Distributed, sharded by the person', async (t) => {
  for (const table of model.tables.values()) {
    const local = ddl.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS \`pas\`.\`${table.name}_local\` ON CLUSTER \`pas_cluster\``));
    const dist = ddl.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS \`pas\`.\`${table.name}\` ON CLUSTER \`pas_cluster\``));
    t.match(local, `ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/pas/${table.name}_local', '{replica}')`, table.name);
    t.match(dist, `ENGINE = Distributed(\`pas_cluster\`, \`pas\`, \`${table.name}_local\`, cityHash64(\`${shardingColumn(model, table)}\`))`, table.name);
  }
  // Distinct persons stay exact: every row of a person on one shard.
  for (const name of ['prestazioni', 'sina', 'sinba', 'dsu']) t.equal(shardingColumn(model, model.tables.get(name)!), 'beneficiario_id', name);
  // PON: all tables of an ATS together, so the joins between them stay on one shard.
  for (const name of ['pon_nuclei', 'pon_componenti', 'pon_condizioni', 'pon_servizi']) t.equal(shardingColumn(model, model.tables.get(name)!), 'ats', name);
  t.match(ddl.find((s) => s.includes('`prestazioni_local`') && s.includes('ReplicatedMergeTree')), 'PARTITION BY (`anno`) ORDER BY (');
});

t.test('reference tables: one whole replica on every node', async (t) => {
  for (const name of ['territorio', 'enti', 'nomenclatore', 'data_versions', 'load_journal']) {
    const s = ddl.find((x) => x.startsWith(`CREATE TABLE IF NOT EXISTS \`pas\`.\`${name}\` `));
    t.match(s, `ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/pas/${name}', '{replica}') ORDER BY`, name);
    t.notMatch(s, '--', 'comments of the column list removed');
  }
  t.equal(ddl.filter((s) => s.startsWith('CREATE TABLE IF NOT EXISTS `pas`.`prestazioni` ')).length, 1, 'a declared table is not duplicated as a reference table');
});

t.test('the command prints it and opens no engine', async (t) => {
  const cli = cliSandbox('pas-cluster-cli-');
  t.teardown(cli.dispose);
  const { stdout } = await cli.tsx('server/cli/schema.ts', ['--cluster', 'pas_cluster', '--print']);
  t.same(stdout.split(';\n').map((s) => s.trim()).filter(Boolean), ddl);
  const half = await failure(cli.tsx('server/cli/schema.ts', ['--cluster', 'pas_cluster']));
  t.equal(half.code, 2);
  t.match(half.stderr, /--cluster NOME e --print/);
});
