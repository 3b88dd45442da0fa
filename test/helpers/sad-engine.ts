/**
 * What the load tests start from: an embedded engine with a little demo data (reference tables
 * included) and the SAD test cube's table created by the same migration an admin runs.
 */
import type { Test } from 'tap';
import type { Engine } from '../../server/engine/client.ts';
import { loadModel, readDir } from '../../server/model/load.ts';
import type { Model } from '../../server/model/types.ts';
import { applyMigration, planMigration } from '../../server/tables/migrate.ts';
import { SAD_CUBE } from '../fixtures/sad-cube.ts';
import { preparedEngine } from './engine.ts';

export async function sadEngine(t: Test): Promise<{ engine: Engine; model: Model; table: string }> {
  const { engine, dispose } = await preparedEngine(1000, 3);
  t.teardown(dispose);
  const model = loadModel({ files: { ...readDir('cubes'), 'cubes/sad_test.yaml': SAD_CUBE } });
  await applyMigration(engine, await planMigration(engine, model));
  return { engine, model, table: engine.table('sad_test') };
}
