/** Member labels for the keys that appear in a result, from the model (inline lists, bands) or the member tables. */
import type { Engine } from '../engine/client.ts';
import { quoteIdentifier } from '../engine/client.ts';
import type { Dimension, MemberKey } from '../model/types.ts';
import type { Label } from './result.ts';

export async function lookupLabels(engine: Engine, dim: Dimension, keys: readonly MemberKey[]): Promise<Record<string, Label>> {
  const out: Record<string, Label> = {};
  if (keys.length === 0) return out;
  const src = dim.members;
  if (dim.key.kind === 'bands') {
    for (const r of dim.key.ranges) out[r.key] = r.label;
    if (dim.key.missing) out[dim.key.missing.key] = dim.key.missing.label;
  } else if (src.kind === 'inline') {
    for (const m of src.members) out[String(m.key)] = m.label;
  } else if (src.kind === 'table') {
    const rows = await engine.query<{ k: string; l: string }>(
      `SELECT ${quoteIdentifier(src.key)} AS k, any(${quoteIdentifier(src.label)}) AS l FROM ${engine.table(src.table)} WHERE k IN {keys:Array(String)} GROUP BY k`,
      { keys: keys.map(String) },
    );
    for (const r of rows) out[r.k] = { it: r.l };
  }
  // Keep only the keys asked for; a key without a label is labelled by itself.
  const wanted: Record<string, Label> = {};
  for (const k of keys) wanted[String(k)] = out[String(k)] ?? { it: String(k) };
  return wanted;
}
