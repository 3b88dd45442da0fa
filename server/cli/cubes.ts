/**
 * `npm run cubes -- check [--dir cubes]`: validates every cube and report file
 * without starting the server. Prints each error as file:line:col (path):
 * what was expected; exits 1 on any error, so admins can run it in their CI.
 */
import { join } from 'node:path';
import { formatIssue, loadModel, ModelError } from '../model/load.ts';
import { loadReports } from '../reports/load.ts';
import { fail, parseOrExit } from './args.ts';

const usage = 'uso: npm run cubes -- check [--dir cubes]';
const { values, positionals } = parseOrExit(usage, { dir: { type: 'string', default: 'cubes' } }, true);
if (positionals[0] !== 'check') fail(usage, positionals[0] ? `comando sconosciuto: ${positionals[0]}` : 'comando mancante');
const dir = String(values.dir);

try {
  const model = loadModel({ dir });
  const reports = loadReports(join(dir, 'reports'), model);
  const cubes = [...model.cubes.values()];
  console.log(`ok: ${cubes.length} cubi (${cubes.map((c) => c.name).join(', ')}), ${reports.size} report`);
} catch (err) {
  if (!(err instanceof ModelError)) throw err;
  for (const issue of err.issues) console.error(formatIssue(issue));
  console.error(`${err.issues.length} ${err.issues.length === 1 ? 'errore' : 'errori'}`);
  process.exit(1);
}
