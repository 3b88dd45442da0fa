/** Engine failures that mean something to the user, named once for every read of the query path. */
import { AppError } from '../errors.ts';

/**
 * A cube added to cubes/ before its table was created (hot reload): say what to do, not the engine's words.
 * `cube` may be empty for reads that are not about one cube (then the table is named alone).
 */
export function missingTableError(err: unknown, cube: string, table: string): AppError | undefined {
  const message = (err as Error).message?.split('\n')[0] ?? '';
  if (!/UNKNOWN_TABLE|Unknown table expression identifier/.test(message) && (err as { clickhouseCode?: number }).clickhouseCode !== 60) return undefined;
  const what = cube ? `Il cubo ${cube} non ha ancora la sua tabella (${table})` : `La tabella ${table} non esiste ancora`;
  return new AppError('TABLE_NOT_READY', `${what}: l'amministratore deve eseguire npm run schema (o POST /v1/admin/schema) e caricare i dati.`);
}
