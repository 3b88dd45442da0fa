/** Runs select plans the gate has passed: the one compiler, then the engine. */
import type { Engine } from '../engine/client.ts';
import type { GatedSelect, RowReader } from '../plan/select.ts';
import { compileSelect } from './compile.ts';

export function readRows<T>(engine: Engine, plan: GatedSelect): Promise<T[]> {
  const { sql, params } = compileSelect(plan, engine.table);
  return engine.query<T>(sql, params);
}

/** The reader handed to modules below query/ (the territory directory, the demo users). */
export const rowReader = (engine: Engine): RowReader => (plan) => readRows(engine, plan);
