/** What the command-line tools that work on the data share: configuration, the cube model, the engine, each with a plain message on failure. */
import { resolve } from 'node:path';
import { loadConfig, type Config } from '../config.ts';
import { openEngine, type Engine } from '../engine/client.ts';
import { formatIssue, loadModel, ModelError } from '../model/load.ts';
import type { Model } from '../model/types.ts';

/** The cube model of a folder, or its errors (file:line:col) and exit 1. */
export function modelOrExit(dir: string): Model {
  try {
    return loadModel({ dir });
  } catch (err) {
    if (!(err instanceof ModelError)) throw err;
    for (const issue of err.issues) console.error(formatIssue(issue));
    process.exit(1);
  }
}

export function cliConfig(): Config {
  try {
    return loadConfig(process.env);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
}

export async function openCliEngine(config: Config, dataDir = config.dataDir, whenBusy = 'fermarlo prima'): Promise<Engine> {
  try {
    return await openEngine({ url: config.clickhouseUrl, user: config.clickhouseUser, password: config.clickhousePassword, database: config.database, dataDir: resolve(dataDir) });
  } catch (err) {
    const message = (err as Error).message;
    console.error(/lock|already running|active data directory|Failed to create connection/i.test(message) ? `La cartella ${resolve(dataDir)} è in uso (server avviato?): ${whenBusy}. (${message.split('\n')[0]})` : message);
    process.exit(1);
  }
}
