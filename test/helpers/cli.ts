/** Runs the project's command-line tools as a user does, each test file on its own data directory. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export function cliSandbox(prefix: string, extraEnv: Record<string, string> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const env = { ...process.env, DATA_DIR: dataDir, ...extraEnv };
  return {
    dataDir,
    env,
    /** `node --import tsx <script> <args>` with the sandbox's environment. */
    tsx: (script: string, args: string[], moreEnv: Record<string, string> = {}) => run(process.execPath, ['--import', 'tsx', script, ...args], { env: { ...env, ...moreEnv } }),
    dispose: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/** The exit code and stderr of a command expected to fail. */
export async function failure(p: Promise<unknown>): Promise<{ code: number; stderr: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: number; stderr: string };
  }
  throw new Error('expected a non-zero exit');
}
