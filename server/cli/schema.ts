/**
 * `npm run schema [-- --dry-run] [--dir cubes]`: creates or migrates the
 * source tables declared in the cube files. Additive changes are applied;
 * changes that could lose data are refused with an explanation and nothing
 * is applied (exit 1). Running it twice changes nothing the second time.
 * The embedded engine needs the data directory for itself: with the server
 * running, use POST /v1/admin/schema.
 */
import { ensureSchema } from '../data/schema.ts';
import { applyMigration, planMigration } from '../tables/migrate.ts';
import { parseOrExit } from './args.ts';
import { cliConfig, modelOrExit, openCliEngine } from './open-engine.ts';

const usage = 'uso: npm run schema -- [--dry-run] [--dir cubes]';
const { values } = parseOrExit(usage, { 'dry-run': { type: 'boolean', default: false }, dir: { type: 'string', default: 'cubes' } });

const model = modelOrExit(String(values.dir));
const config = cliConfig();
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
