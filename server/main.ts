/**
 * `npm start`: open the engine (embedded chDB unless CLICKHOUSE_URL is set),
 * create the schema and the demo data on first start, load the cube model,
 * serve the API.
 */
import { resolve } from 'node:path';
import { loadConfig } from './config.ts';
import { dataInfo, prepareData } from './data/bootstrap.ts';
import { openEngine } from './engine/client.ts';
import { buildApp } from './http/app.ts';
import { loadModel, ModelError } from './model/load.ts';
import { Directory } from './security/directory.ts';
import type { DataStatus, QueryContext } from './query/execute.ts';

const config = loadConfig(process.env);
const log = (line: string) => console.log(line);

let model;
try {
  model = loadModel({ dir: resolve(config.cubesDir ?? 'cubes') });
} catch (err) {
  if (err instanceof ModelError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}

const engine = await openEngine({
  url: config.clickhouseUrl,
  user: config.clickhouseUser,
  password: config.clickhousePassword,
  database: config.database,
  dataDir: config.dataDir,
});
log(`[motore] ${engine.transport === 'embedded' ? `ClickHouse integrato (chDB), dati in ${resolve(config.dataDir)}` : `server ClickHouse ${config.clickhouseUrl}`}`);
await prepareData(engine, { demoRows: config.demoRows, seed: config.seed, log });

let status: Promise<DataStatus> | undefined;
const context: QueryContext = {
  engine,
  model,
  directory: await Directory.load(engine),
  dataStatus: () => (status ??= dataInfo(engine).then((i) => ({ demo: i.demo, sources: i.sources }))),
};

const app = await buildApp({ context: () => context, logger: { level: process.env.LOG_LEVEL ?? 'info' } });
const close = async () => {
  await app.close();
  await engine.close();
  process.exit(0);
};
process.on('SIGINT', close);
process.on('SIGTERM', close);
await app.listen({ port: config.port, host: config.host });
log(`[server] API su http://${config.host}:${config.port}/v1/cubes — documentazione su http://${config.host}:${config.port}/docs`);
