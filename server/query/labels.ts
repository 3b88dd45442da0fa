/**
 * Member labels for the keys that appear in a result: from the model (inline
 * lists, bands) or from the member tables. Member tables are small reference
 * tables (comuni, enti, nomenclatore): each is read once and kept in memory
 * until `invalidate()` (a data load).
 */
import type { Engine } from '../engine/client.ts';
import type { Dimension, MemberKey } from '../model/types.ts';
import type { Label } from '../plan/result.ts';
import { call, column, selectFrom } from '../plan/select.ts';
import { systemRead } from '../security/gate.ts';
import { readRows } from './read.ts';

export interface LabelCache {
  lookup(dim: Dimension, keys: readonly MemberKey[]): Promise<Record<string, Label>>;
  invalidate(): void;
}

export function createLabelCache(engine: Engine): LabelCache {
  let tables = new Map<string, Promise<Map<string, string>>>();
  const tableLabels = (src: { table: string; key: string; label: string }) => {
    const id = `${src.table}.${src.key}.${src.label}`;
    let entry = tables.get(id);
    if (!entry) {
      // A system read: labels of keys the caller already has in a gated answer, from a reference table.
      const plan = selectFrom(src.table, [['k', column(src.key)], ['l', call('any', column(src.label))]], { groupBy: [column(src.key)] });
      entry = readRows<{ k: string; l: string }>(engine, systemRead(plan)).then((rows) => new Map(rows.map((r) => [String(r.k), r.l])));
      entry.catch(() => tables.delete(id));
      tables.set(id, entry);
    }
    return entry;
  };
  return {
    async lookup(dim, keys) {
      const out: Record<string, Label> = {};
      if (keys.length === 0) return out;
      const src = dim.members;
      const known: Record<string, Label> = {};
      if (dim.key.kind === 'bands') {
        for (const r of dim.key.ranges) known[r.key] = r.label;
        if (dim.key.missing) known[dim.key.missing.key] = dim.key.missing.label;
      } else if (src.kind === 'inline') {
        for (const m of src.members) known[String(m.key)] = m.label;
      } else if (src.kind === 'table') {
        const labels = await tableLabels(src);
        for (const k of keys) {
          const l = labels.get(String(k));
          if (l !== undefined) known[String(k)] = { it: l };
        }
      }
      // Only the keys asked for; a key without a label is labelled by itself.
      for (const k of keys) out[String(k)] = known[String(k)] ?? { it: String(k) };
      return out;
    },
    invalidate() {
      tables = new Map();
    },
  };
}
