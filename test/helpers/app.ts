import type { FastifyInstance } from 'fastify';
import { prepareData, dataInfo } from '../../server/data/bootstrap.ts';
import type { Engine } from '../../server/engine/client.ts';
import { buildApp } from '../../server/http/app.ts';
import { loadModel } from '../../server/model/load.ts';
import type { Model } from '../../server/model/types.ts';
import { Directory } from '../../server/security/directory.ts';
import type { QueryContext } from '../../server/query/execute.ts';
import { tempEngine } from './engine.ts';

export interface DemoApp {
  app: FastifyInstance;
  engine: Engine;
  model: Model;
  dispose(): Promise<void>;
}

/** The real app over a small generated demo data set on a private embedded engine. */
export async function demoApp(rows = 60_000, seed = 7): Promise<DemoApp> {
  const { engine, dispose } = await tempEngine();
  await prepareData(engine, { demoRows: rows, seed, log: () => {} });
  const model = loadModel({ dir: 'cubes' });
  const context: QueryContext = { engine, model, directory: await Directory.load(engine), dataStatus: async () => { const i = await dataInfo(engine); return { demo: i.demo, sources: i.sources }; } };
  const app = await buildApp({ context: () => context });
  return {
    app,
    engine,
    model,
    async dispose() {
      await app.close();
      await dispose();
    },
  };
}
