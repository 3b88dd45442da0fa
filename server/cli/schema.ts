/**
 * `npm run schema [-- --dry-run] [--dir cubes]`: creates or migrates the
 * source tables declared in the cube files. Additive changes are applied;
 * changes that could lose data are refused with an explanation and nothing
 * is applied (exit 1). Running it twice changes nothing the second time.
 * The embedded engine needs the data directory for itself: with the server
 * running, use POST /v1/admin/schema.
 * `npm run schema -- --cluster NAME --print` only prints the DDL of the same
 * tables for a ClickHouse cluster (server/tables/cluster.ts), to apply with
 * clickhouse-client; it opens no engine.
 */
import { ENGINES, ensureSchema, TABLES } from '../data/schema.ts';
import { clusterDdl } from '../tables/cluster.ts';
import { applyMigration, planMigration } from '../tables/migrate.ts';
import { fail, parseOrExit } from './args.ts';
import { cliConfig, modelOrExit, openCliEngine } from './open-engine.ts';

const usage = 'uso: npm run schema -- [--dry-run] [--dir cubes]\n     npm run schema -- --cluster NOME --print [--dir cubes]   (DDL per un cluster ClickHouse, solo stampato)';
const { values } = parseOrExit(usage, {
  'dry-run': { type: 'boolean', default: false },
  dir: { type: 'string', default: 'cubes' },
  cluster: { type: 'string' },
  print: { type: 'boolean', default: false },
});

const model = modelOrExit(String(values.dir));
const config = cliConfig();
if (values.cluster !== undefined || values.print) {
  if (!values.cluster || !values.print) fail(usage, 'per un cluster il DDL si stampa soltanto: usare insieme --cluster NOME e --print, poi applicarlo con clickhouse-client');
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(values.cluster)) fail(usage, `nome di cluster non valido: ${JSON.stringify(values.cluster)} (lettere, cifre e _)`);
  const reference = Object.fromEntries(Object.entries(TABLES).map(([name, columns]) => [name, { columns, engine: ENGINES[name as keyof typeof TABLES] }]));
  for (const statement of clusterDdl(model, { cluster: values.cluster, database: config.database, reference })) console.log(`${statement};\n`);
  process.exit(0);
}
const engine = await openCliEngine(config, config.dataDir, 'fermarlo, oppure usare POST /v1/admin/schema con un token admin');
try {
  await ensureSchema(engine);
  const plan = await planMigration(engine, model);
  for (const r of plan.refusals) console.error(`rifiutato: ${r.table} (${r.file}): ${r.reason}`);
  if (plan.refusals.length) {
    console.error(`${plan.refusals.length} ${plan.refusals.length === 1 ? 'modifica rifiutata' : 'modifiche rifiutate'}: nessuna modifica applicata`);
    process.exitCode = 1;
  } else {
    for (const step of plan.steps) console.log(`${values['dry-run'] ? 'da applicare' : 'applicato'}: ${step.sql}`);
    if (!values['dry-run']) await applyMigration(engine, plan);
    for (const t of plan.upToDate) console.log(`invariata: ${t}`);
    console.log(plan.steps.length ? `${plan.steps.length} ${plan.steps.length === 1 ? 'modifica' : 'modifiche'}${values['dry-run'] ? ' da applicare (--dry-run: nessuna applicata)' : plan.steps.length === 1 ? ' applicata' : ' applicate'}` : 'schema già aggiornato: nessuna modifica');
  }
} finally {
  await engine.close();
}
