import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEngine, type Engine, type EngineConfig } from '../../server/engine/client.ts';

/** An embedded engine on a fresh temporary data directory (one per test process: chDB allows one per process). */
export async function tempEngine(opts: Pick<EngineConfig, 'limits' | 'scheduler'> = {}): Promise<{ engine: Engine; dir: string; dispose(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'pas-test-'));
  const engine = await openEngine({ database: 'pas', dataDir: dir, ...opts });
  return {
    engine,
    dir,
    async dispose() {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
