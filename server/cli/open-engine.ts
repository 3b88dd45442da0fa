/** Opens the engine for a command-line tool, with a plain message when the server holds the data directory. */
import { resolve } from 'node:path';
import { loadConfig, type Config } from '../config.ts';
import { openEngine, type Engine } from '../engine/client.ts';

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
