/**
 * Run as a child process (the embedded engine belongs to one process at a
 * time): prints the row count and a hash of a table, the staging tables left
 * over and the state of each load, as JSON.
 */
import { openEngine } from '../../server/engine/client.ts';
import { listLoads } from '../../server/load/journal.ts';

const table = process.argv[2];
const engine = await openEngine({ database: 'pas', dataDir: process.env.DATA_DIR! });
try {
  const [digest] = await engine.query<{ n: number; h: string }>(`SELECT count() AS n, toString(sum(cityHash64(*))) AS h FROM ${engine.table(table)}`);
  const leftovers = await engine.query<{ name: string }>(`SELECT name FROM system.tables WHERE database = 'pas' AND (startsWith(name, '_stg_') OR startsWith(name, '_new_')) ORDER BY name`);
  const loads = await listLoads(engine, { table });
  console.log(JSON.stringify({ ...digest, leftovers: leftovers.map((l) => l.name), loads: loads.map((l) => ({ id: l.id, status: l.status, rowsRead: l.rowsRead })) }));
} finally {
  await engine.close();
}
