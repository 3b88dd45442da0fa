/**
 * `npm start`: open the engine (embedded chDB unless CLICKHOUSE_URL is set),
 * settle loads interrupted by a previous crash, create the schema and the
 * demo data on first start, load the cube model (and watch it), serve the API.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ModelRegistry } from './admin/registry.ts';
import { loadConfig } from './config.ts';
import { prepareData } from './data/bootstrap.ts';
import { openEngine } from './engine/client.ts';
import { buildApp } from './http/app.ts';
import { recoverLoads, recoveryLine } from './load/recover.ts';
import { formatIssue, loadModel, ModelError } from './model/load.ts';
import { loadReports } from './reports/load.ts';
import { rowReader } from './query/read.ts';
import { authenticatorFor, loadAuthSettings } from './security/auth-config.ts';
import { demoUsers } from './security/demo-users.ts';
import { durationSeconds, mintToken } from './security/tokens.ts';

const config = loadConfig(process.env);
const log = (line: string) => console.log(line);

const cubesDir = resolve('cubes');
try {
  // Checked before the engine opens: an invalid model stops the start at once.
  loadReports(join(cubesDir, 'reports'), loadModel({ dir: cubesDir }));
} catch (err) {
  if (err instanceof ModelError) {
    console.error(`modello dei cubi non valido:\n${err.issues.map(formatIssue).join('\n')}`);
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
  limits: config.limits,
  scheduler: config.scheduler,
});
log(`[motore] ${engine.transport === 'embedded' ? `ClickHouse integrato (chDB), dati in ${resolve(config.dataDir)}` : `server ClickHouse ${config.clickhouseUrl}`}`);
await prepareData(engine, { demoRows: config.demoRows, seed: config.seed, demo: config.demoData, log });
const recovered = await recoverLoads(engine);
if (recovered.interrupted.length || recovered.completed.length || recovered.droppedTables.length) log(`[carico] ${recoveryLine(recovered)}`);

const registry = await ModelRegistry.open({
  dir: cubesDir,
  engine,
  nationalExemptFromDisclosure: auth.nationalExemptFromDisclosure,
  cellKeySecret: auth.cellKeySecret,
  log,
  cacheBytes: config.resultCacheMb * 1024 * 1024,
  warm: config.warmCache,
});
try {
  registry.watch();
} catch (err) {
  // Some file systems (network shares, some containers) cannot be watched: the server still runs, without hot reload.
  log(`[cubi] ricarica a caldo non disponibile (${(err as Error).message}): le modifiche a cubes/ richiedono un riavvio`);
}

const https = config.tls && { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) };
const app = await buildApp({
  context: () => registry.context(),
  reports: () => registry.reports(),
  admin: { registry, spoolDir: join(config.dataDir, 'uploads'), shrinkShare: config.loadShrinkShare },
  auth: await authenticatorFor(auth),
  https,
  throttle: config.throttle,
  logger: { level: process.env.LOG_LEVEL ?? 'info' },
});
const close = async () => {
  registry.close();
  await registry.warmer?.settled();
  await app.close();
  await engine.close();
  process.exit(0);
};
process.on('SIGINT', close);
process.on('SIGTERM', close);
await app.listen({ port: config.port, host: config.host });
const base = `${https ? 'https' : 'http'}://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;

if (auth.demoSecret && auth.tokens.secret) {
  const life = durationSeconds(auth.tokenMaxLifetime)! < durationSeconds('7d')! ? auth.tokenMaxLifetime : '7d';
  log(`\n[demo] token validi ${life}, uno per profilo (Swagger UI: pulsante "Authorize"; curl: -H "Authorization: Bearer <token>"):`);
  for (const user of await demoUsers(rowReader(engine))) {
    const token = await mintToken({ secret: auth.tokens.secret, profile: user.principal.profile, scope: user.principal.scope, subject: user.principal.id, expiresIn: life, maxLifetime: auth.tokenMaxLifetime });
    log(`  ${user.description}\n    ${token}`);
  }
  const admin = await mintToken({ secret: auth.tokens.secret, profile: 'admin', subject: 'admin', expiresIn: life, maxLifetime: auth.tokenMaxLifetime });
  log(`  Amministratore (ruolo admin: cubi, tabelle, caricamenti; non consulta i dati)\n    ${admin}`);
}
log(`\n[server] API su ${base}/v1/cubes — documentazione su ${base}/docs — riquadro Excel su ${base}/addin/taskpane.html`);
