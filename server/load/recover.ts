/**
 * At start, before anything else touches the tables: loads that were queued,
 * running or committing when the process died are settled. Their staging
 * tables are dropped (synchronously: the space is free at once); a load that
 * died in the middle of its swap is recognised by the uuid of the table it
 * was swapping in, and recorded as succeeded if the swap happened. A batch of
 * several tables (a PON batch) whose swaps had begun is finished: the tables
 * not yet swapped are swapped now, so the batch is never half old, half new.
 */
import type { Engine } from '../engine/client.ts';
import { dropNow, swap, tableByUuid, tableUuid } from './commit.ts';
import { listLoads, writeJournal, type LoadRecord } from './journal.ts';
import { SHADOW_PREFIX, STAGING_PREFIX } from './run.ts';

export interface Recovery {
  droppedTables: string[];
  interrupted: string[];
  /** Loads that had swapped their table (or whose batch had): recorded as succeeded. */
  completed: string[];
}

export async function recoverLoads(engine: Engine): Promise<Recovery> {
  const out: Recovery = { droppedTables: [], interrupted: [], completed: [] };
  const open = (await listLoads(engine, { limit: 10_000 })).filter((l) => l.status === 'queued' || l.status === 'running' || l.status === 'committing');
  const swapped = async (l: LoadRecord) => l.status === 'committing' && l.shadowUuid !== '' && (await tableUuid(engine, l.table)) === l.shadowUuid;
  const settled = new Set<string>();
  for (const load of open) {
    if (settled.has(load.id)) continue;
    const group = load.groupId ? open.filter((l) => l.groupId === load.groupId) : [load];
    group.forEach((l) => settled.add(l.id));
    const done = await Promise.all(group.map(swapped));
    // All of the batch was ready (committing) and at least one table swapped: the rest is swapped now.
    const rollForward = done.some(Boolean) && group.every((l) => l.status === 'committing');
    for (const [i, l] of group.entries()) {
      const finishedAt = new Date().toISOString();
      let ok = done[i];
      if (!ok && rollForward) {
        const incoming = await tableByUuid(engine, l.shadowUuid);
        if (incoming && incoming !== l.table) {
          await swap(engine, l.table, incoming);
          ok = true;
        }
      }
      if (ok) {
        await writeJournal(engine, { ...l, status: 'succeeded', finishedAt, error: 'completato: il processo si è fermato subito dopo lo scambio delle tabelle' });
        await engine.insert('data_versions', [{ source: l.table, loaded_at: Date.now(), rows: l.rowsAccepted, generated: false, note: `caricamento ${l.id}: ${l.fileName}`, version: l.groupId || l.id }]);
        out.completed.push(l.id);
      } else {
        await writeJournal(engine, { ...l, status: 'interrupted', finishedAt, error: `interrotto: il processo si è fermato durante il caricamento (${l.rowsRead} righe lette); dati precedenti intatti` });
        out.interrupted.push(l.id);
      }
    }
  }
  const leftovers = await engine.query<{ name: string }>(
    'SELECT name FROM system.tables WHERE database = {db:String} AND (startsWith(name, {stg:String}) OR startsWith(name, {shadow:String}))',
    { db: engine.database, stg: STAGING_PREFIX, shadow: SHADOW_PREFIX },
  );
  for (const { name } of leftovers) {
    await dropNow(engine, name);
    out.droppedTables.push(name);
  }
  return out;
}

/** The one line a start prints about what it settled, naming loads that had in fact succeeded (swapped just before the stop). */
export function recoveryLine(r: Recovery): string {
  const done = r.completed.length ? `; riusciti nonostante l'arresto (la tabella era già stata scambiata): ${r.completed.join(', ')}` : '';
  return `pulizia di caricamenti interrotti: ${r.interrupted.join(', ') || '-'}; tabelle di appoggio eliminate: ${r.droppedTables.length}${done}`;
}
