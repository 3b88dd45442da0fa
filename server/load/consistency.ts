/**
 * Checks across declared tables, run on the staging tables of a load before
 * anything is swapped: every `references` value exists in the referenced
 * table, and `not_after` / `not_before` dates keep their order. A table
 * loaded in the same batch is read from its staging table, any other from the
 * table as it is; tables already there that reference a table being replaced
 * are checked too (a households file must not orphan the members in place).
 */
import type { Engine } from '../engine/client.ts';
import { quoteIdentifier } from '../engine/client.ts';
import type { Model, TableColumn } from '../model/types.ts';

const SAMPLE = 5;

/** Whether a load of these tables has anything to check across tables (a column of, or pointing to, one of them). */
export function hasCrossTableRules(model: Model, tables: ReadonlySet<string>): boolean {
  for (const table of model.tables.values())
    for (const c of table.columns)
      for (const ref of [c.references, c.notAfter, c.notBefore])
        if (ref && (tables.has(table.name) || tables.has(ref.table))) return true;
  return false;
}

/** Problems per table name (of the batch), in Italian, each naming the column, the count and a few values. */
export async function checkConsistency(engine: Engine, model: Model, staged: ReadonlyMap<string, string>): Promise<Map<string, string[]>> {
  const problems = new Map<string, string[]>();
  const source = (name: string) => engine.table(staged.get(name) ?? name);
  const exists = new Set((await engine.query<{ name: string }>('SELECT name FROM system.tables WHERE database = {db:String}', { db: engine.database })).map((r) => r.name));
  const add = (table: string, message: string) => problems.set(table, [...(problems.get(table) ?? []), message]);

  for (const table of model.tables.values()) {
    if (!staged.has(table.name) && !exists.has(table.name)) continue;
    for (const c of table.columns) {
      const ref = c.references;
      // Only checks that involve the batch: the table itself or the referenced one is being loaded.
      if (ref && (staged.has(table.name) || staged.has(ref.table)) && (staged.has(ref.table) || exists.has(ref.table))) {
        const col = quoteIdentifier(c.name);
        const rows = await engine.query<{ v: string; n: number }>(
          `SELECT toString(${col}) AS v, count() OVER () AS n FROM ${source(table.name)} WHERE ${col} NOT IN (SELECT ${quoteIdentifier(ref.column)} FROM ${source(ref.table)}) GROUP BY v ORDER BY v LIMIT ${SAMPLE}`,
        );
        if (rows.length) {
          const where = staged.has(table.name) ? 'nel file' : 'nella tabella già caricata';
          const message = `${table.name}.${c.name}: ${Number(rows[0].n)} ${Number(rows[0].n) === 1 ? 'valore' : 'valori'} ${where} senza riga corrispondente in ${ref.table}.${ref.column}${staged.has(ref.table) ? (staged.size > 1 ? ' del file caricato insieme' : ' del file caricato') : ''} (${rows.map((r) => r.v).join(', ')}${Number(rows[0].n) > SAMPLE ? ', …' : ''})`;
          add(staged.has(table.name) ? table.name : ref.table, message);
        }
      }
      for (const [bound, op, words] of [[c.notAfter, '>', 'successiva a'], [c.notBefore, '<', 'precedente a']] as const) {
        if (!bound || !(staged.has(table.name) || staged.has(bound.table)) || !(staged.has(bound.table) || exists.has(bound.table))) continue;
        const message = await dateOrder(engine, source(table.name), source(bound.table), c, bound, op);
        if (message) add(staged.has(table.name) ? table.name : bound.table, `${table.name}.${c.name}: ${message} ${words} ${bound.table}.${bound.column}`);
      }
    }
  }
  return problems;
}

async function dateOrder(engine: Engine, source: string, target: string, c: TableColumn, bound: NonNullable<TableColumn['notAfter']>, op: '>' | '<'): Promise<string | undefined> {
  const [by, col, other] = [quoteIdentifier(bound.by), quoteIdentifier(c.name), quoteIdentifier(bound.column)];
  const rows = await engine.query<{ k: string; n: number }>(
    `SELECT toString(s.${by}) AS k, count() OVER () AS n FROM ${source} AS s INNER JOIN (SELECT ${by}, min(${other}) AS lo, max(${other}) AS hi FROM ${target} GROUP BY ${by}) AS t ON s.${by} = t.${by}
     WHERE s.${col} IS NOT NULL AND s.${col} ${op} ${op === '>' ? 't.hi' : 't.lo'} GROUP BY k ORDER BY k LIMIT ${SAMPLE}`,
  );
  if (!rows.length) return undefined;
  const n = Number(rows[0].n);
  return `per ${n} ${n === 1 ? 'valore' : 'valori'} di ${bound.by} (${rows.map((r) => r.k).join(', ')}${n > SAMPLE ? ', …' : ''}) una data`;
}
