/**
 * `npm start`: open the engine (embedded chDB unless CLICKHOUSE_URL is set),
 * create the schema and the demo data on first start, load the cube model,
 * serve the API.
 */
import { createQueryContext } from './context.ts';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig } from './config.ts';
import { prepareData } from './data/bootstrap.ts';
import { openEngine } from './engine/client.ts';
import { buildApp } from './http/app.ts';
import { loadModel, ModelError } from './model/load.ts';
import type { Model } from './model/types.ts';
import { loadReports, type Report } from './reports/load.ts';
import { authenticatorFor, loadAuthSettings } from './security/auth-config.ts';
import { demoUsers } from './security/demo-users.ts';
import { mintToken } from './security/tokens.ts';

const config = loadConfig(process.env);
const log = (line: string) => console.log(line);

let model: Model;
let reports: Map<string, Report>;
try {
  model = loadModel({ dir: resolve('cubes') });
  reports = loadReports(resolve('cubes/reports'), model);
} catch (err) {
  if (err instanceof ModelError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
const auth = loadAuthSettings(process.env, config.dataDir);

const engine = await openEngine({
  url: config.clickhouseUrl,
  user: config.clickhouseUser,
  password: config.clickhousePassword,
  database: config.database,
  dataDir: config.dataDir,
});
log(`[motore] ${engine.transport === 'embedded' ? `ClickHouse integrato (chDB), dati in ${resolve(config.dataDir)}` : `server ClickHouse ${config.clickhouseUrl}`}`);
await prepareData(engine, { demoRows: config.demoRows, seed: config.seed, log });

const context = await createQueryContext(engine, model, { nationalExemptFromDisclosure: auth.nationalExemptFromDisclosure });

const https = config.tls && { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) };
const app = await buildApp({ context: () => context, reports: () => reports, auth: await authenticatorFor(auth), https, logger: { level: process.env.LOG_LEVEL ?? 'info' } });
const close = async () => {
  await app.close();
  await engine.close();
  process.exit(0);
};
process.on('SIGINT', close);
process.on('SIGTERM', close);
await app.listen({ port: config.port, host: config.host });
const base = `${https ? 'https' : 'http'}://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;

if (auth.demoSecret && auth.tokens.secret) {
  log('\n[demo] token validi 7 giorni, uno per profilo (Swagger UI: pulsante "Authorize"; curl: -H "Authorization: Bearer <token>"):');
  for (const user of await demoUsers(engine)) {
    const token = await mintToken({ secret: auth.tokens.secret, profile: user.principal.profile, scope: user.principal.scope, subject: user.principal.id, expiresIn: '7d' });
    log(`  ${user.description}\n    ${token}`);
  }
}
log(`\n[server] API su ${base}/v1/cubes — documentazione su ${base}/docs — riquadro Excel su ${base}/addin/taskpane.html`);
