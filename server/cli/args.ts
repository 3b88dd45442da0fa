/** Command-line arguments for the project's tools: parsed with node:util, with the usage on error (exit 2) and on --help. */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export function parseOrExit<O extends NonNullable<ParseArgsConfig['options']>>(usage: string, options: O, allowPositionals = false) {
  try {
    const parsed = parseArgs({ options: { ...options, help: { type: 'boolean' as const } }, allowPositionals });
    if ((parsed.values as { help?: boolean }).help) {
      console.log(usage);
      process.exit(0);
    }
    return parsed;
  } catch (err) {
    fail(usage, (err as Error).message);
  }
}

/** Prints what is wrong and the usage, exits 2. */
export function fail(usage: string, message: string): never {
  console.error(`${message}\n${usage}`);
  process.exit(2);
}
