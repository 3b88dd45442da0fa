/**
 * Every JSON answer leaves through its route's response schema (zod): it is
 * encoded by the schema, so a field the contract does not declare never
 * reaches a client and a value of the wrong type is a typed 500, not a
 * silent change of the API.
 *
 * 'strict' (tests, development) also refuses an answer the schema would have
 * trimmed: a field the route sends but the contract does not declare is a
 * bug in the contract, reported with its path. 'encode' (production) only
 * encodes: one pass of zod over the answer, then JSON.stringify.
 *
 * A frozen answer (what the result cache keeps and serves to every caller
 * whose request is the same, see server/query/cache.ts) cannot change, so its
 * serialisation for a schema is kept with it: a repeated answer costs no
 * second pass (a 1,000-row answer took 250 ms of the event loop at each hit).
 */
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import { safeEncode, type $ZodType } from 'zod/v4/core';
import { AppError } from '../errors.ts';

export type ResponseCheck = 'strict' | 'encode';

export const defaultResponseCheck = (): ResponseCheck => (process.env.NODE_ENV === 'production' ? 'encode' : 'strict');

/** Paths of `sent` that are not in `kept` (fields dropped by the schema). */
export function droppedPaths(sent: unknown, kept: unknown, path = ''): string[] {
  if (Array.isArray(sent) && Array.isArray(kept)) return sent.flatMap((v, i) => droppedPaths(v, kept[i], `${path}[${i}]`));
  if (sent === null || typeof sent !== 'object' || kept === null || typeof kept !== 'object') return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(sent)) {
    if (v === undefined) continue;
    const p = path ? `${path}.${k}` : k;
    if (!(k in kept)) out.push(p);
    else out.push(...droppedPaths(v, (kept as Record<string, unknown>)[k], p));
  }
  return out;
}

/** Serialisations of frozen answers, per answer and schema; they go with the answer when the cache lets it go. */
const serialised = new WeakMap<object, WeakMap<object, string>>();

export function responseSerializer(check: ResponseCheck): FastifySerializerCompiler<$ZodType> {
  return ({ schema, method, url }) => (data) => {
    if (data === null || typeof data !== 'object' || !Object.isFrozen(data)) return serialise(schema, data, method, url, check);
    let bySchema = serialised.get(data as object);
    if (!bySchema) serialised.set(data as object, (bySchema = new WeakMap()));
    let json = bySchema.get(schema);
    if (json === undefined) bySchema.set(schema, (json = serialise(schema, data, method, url, check)));
    return json;
  };
}

function serialise(schema: $ZodType, data: unknown, method: string, url: string, check: ResponseCheck): string {
  const result = safeEncode(schema, data);
  if (!result.success)
    throw new AppError('RESPONSE_CONTRACT', `La risposta di ${method} ${url} non rispetta lo schema pubblicato: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`);
  if (check === 'strict') {
    const dropped = droppedPaths(data, result.data);
    if (dropped.length)
      throw new AppError('RESPONSE_CONTRACT', `La risposta di ${method} ${url} ha campi non dichiarati nello schema: ${dropped.slice(0, 10).join(', ')}.`);
  }
  return JSON.stringify(result.data);
}
