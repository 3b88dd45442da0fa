/**
 * At start, before anything else touches the tables: loads that were running
 * when the process died are settled. Their staging tables are dropped; a load
 * that died in the middle of its swap is recognised by the uuid of the table
 * it was swapping in, and recorded as succeeded if the swap happened.
 */
import type { Engine } from '../engine/client.ts';
import { listLoads, writeJournal } from './journal.ts';
import { SHADOW_PREFIX, STAGING_PREFIX } from './run.ts';

export interface Recovery {
  droppedTables: string[];
  interrupted: string[];
  completed: string[];
}

export async function recoverLoads(engine: Engine): Promise<Recovery> {
  const out: Recovery = { droppedTables: [], interrupted: [], completed: [] };
  const open = (await listLoads(engine, { limit: 10_000 })).filter((l) => l.status === 'running' || l.status === 'committing');
  for (const load of open) {
    const [current] = await engine.query<{ uuid: string }>('SELECT toString(uuid) AS uuid FROM system.tables WHERE database = {db:String} AND name = {t:String}', { db: engine.database, t: load.table });
    const swapped = load.status === 'committing' && load.shadowUuid !== '' && current?.uuid === load.shadowUuid;
    const finishedAt = new Date().toISOString();
    if (swapped) {
      await writeJournal(engine, { ...load, status: 'succeeded', finishedAt, error: 'completato: il processo si è fermato subito dopo lo scambio delle tabelle' });
      await engine.insert('data_versions', [{ source: load.table, loaded_at: Date.now(), rows: load.rowsAccepted, generated: false, note: `caricamento ${load.id}: ${load.fileName}`, version: load.id }]);
      out.completed.push(load.id);
    } else {
      await writeJournal(engine, { ...load, status: 'interrupted', finishedAt, error: 'interrotto: il processo si è fermato durante il caricamento; dati precedenti intatti' });
      out.interrupted.push(load.id);
    }
  }
  const leftovers = await engine.query<{ name: string }>(
    'SELECT name FROM system.tables WHERE database = {db:String} AND (startsWith(name, {stg:String}) OR startsWith(name, {shadow:String}))',
    { db: engine.database, stg: STAGING_PREFIX, shadow: SHADOW_PREFIX },
  );
  for (const { name } of leftovers) {
    await engine.command(`DROP TABLE IF EXISTS ${engine.table(name)}`);
    out.droppedTables.push(name);
  }
  return out;
}
