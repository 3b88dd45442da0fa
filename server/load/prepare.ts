/** What a load reads before its first row: the table as declared (else `npm run schema` first) and the reference values its rules need. */
import type { Engine } from '../engine/client.ts';
import { quoteIdentifier } from '../engine/client.ts';
import { AppError } from '../errors.ts';
import type { TableDef } from '../model/types.ts';
import { normaliseType, storedType } from '../tables/ddl.ts';
import { codesKey, lookupKey, type ReferenceData } from './validate.ts';

/** Reference values the rules need: allowed codes and lookup maps, read once per load. */
export async function referenceData(engine: Engine, table: TableDef): Promise<ReferenceData> {
  const codes = new Map<string, Set<string>>();
  const lookups = new Map<string, Map<string, unknown>>();
  for (const c of table.columns) {
    try {
      if (c.codes && !codes.has(codesKey(c.codes))) {
        const rows = await engine.query<{ v: string }>(`SELECT DISTINCT toString(${quoteIdentifier(c.codes.column)}) AS v FROM ${engine.table(c.codes.table)}`);
        codes.set(codesKey(c.codes), new Set(rows.map((r) => r.v)));
      }
      // A lookup fills the column from the reference table; `matches` checks the file's value against it: the same map.
      const lookup = c.lookup ?? (c.matches && { ...c.matches, column: c.name });
      if (lookup && !lookups.has(lookupKey(lookup))) {
        const rows = await engine.query<{ k: string; v: unknown }>(
          `SELECT toString(${quoteIdentifier(lookup.by)}) AS k, any(${quoteIdentifier(lookup.column)}) AS v FROM ${engine.table(lookup.table)} GROUP BY k`,
        );
        lookups.set(lookupKey(lookup), new Map(rows.map((r) => [r.k, r.v])));
      }
    } catch (err) {
      throw new AppError('INVALID_REQUEST', `Colonna ${c.name}: la tabella di riferimento non è leggibile (${(err as Error).message.split('\n')[0]}).`);
    }
  }
  return { codes, lookups };
}

/** A load needs the table as declared: otherwise `npm run schema` first. */
export async function checkTableMatches(engine: Engine, table: TableDef): Promise<void> {
  const columns = await engine.query<{ name: string; type: string }>(
    'SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {t:String} ORDER BY position',
    { db: engine.database, t: table.name },
  );
  if (!columns.length) throw new AppError('TABLE_NOT_READY', `La tabella ${table.name} non esiste ancora: eseguire prima npm run schema (oppure POST /v1/admin/schema).`);
  const have = new Map(columns.map((c) => [c.name, normaliseType(c.type)]));
  const differ = table.columns.filter((c) => have.get(c.name) !== normaliseType(storedType(c)));
  if (differ.length || columns.length !== table.columns.length)
    throw new AppError('TABLE_NOT_READY', `La tabella ${table.name} non corrisponde alla dichiarazione in ${table.file} (colonne: ${differ.map((c) => c.name).join(', ') || 'in più nella tabella'}): eseguire prima npm run schema.`);
}
