/**
 * `npm run demo-data -- --rows 10000000 [--seed 1] [--data-dir ./data] [--force]`
 * Creates the schema and reference data if missing and generates the demo
 * benefit records; `--force` drops the benefit records (and the SINA, SINBA
 * and ISEE records derived from them) and generates them again. Reads
 * DATA_DIR, CLICKHOUSE_URL, CLICKHOUSE_USER, CLICKHOUSE_PASSWORD,
 * CLICKHOUSE_DATABASE, DEMO_ROWS and DEMO_SEED like the server. Needs the
 * data directory for itself: stop the server first (embedded engine).
 */
import { parseOrExit } from './args.ts';
import { cliConfig, openCliEngine } from './open-engine.ts';
import { dropDemoBenefits, prepareData } from '../data/bootstrap.ts';

const usage = 'uso: npm run demo-data -- [--rows N] [--seed N] [--data-dir DIR] [--force]';
const { values } = parseOrExit(usage, { rows: { type: 'string' }, seed: { type: 'string' }, 'data-dir': { type: 'string' }, force: { type: 'boolean', default: false } });
const config = cliConfig();
const rows = values.rows === undefined ? config.demoRows : Number(values.rows.replaceAll('_', ''));
const seed = values.seed === undefined ? config.seed : Number(values.seed);
if (!Number.isInteger(rows) || rows < 1000 || rows > 1_000_000_000) {
  console.error(`--rows deve essere un intero tra 1000 e 1.000.000.000 (ricevuto ${values.rows}).\n${usage}`);
  process.exit(2);
}
if (!Number.isSafeInteger(seed) || seed < 0) {
  console.error(`--seed deve essere un intero >= 0 (ricevuto ${values.seed}).\n${usage}`);
  process.exit(2);
}
const engine = await openCliEngine(config, values['data-dir'] ?? config.dataDir);
try {
  if (values.force) {
    const pon = await dropDemoBenefits(engine);
    console.log('[dati] prestazioni esistenti (e SINA, SINBA, ISEE derivati) eliminate (--force)');
    if (pon) console.log('[dati] dati PON dimostrativi eliminati (--force): rigenerati con date di nascita vere');
  }
  await prepareData(engine, { demoRows: rows, seed, log: (l) => console.log(l) });
} catch (err) {
  console.error(`[dati] errore: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await engine.close();
}
