/**
 * Revalidation of answers (Excel, R, browsers): the ETag of a query, report
 * or export names the model, the data version of every source, the caller's
 * profile and scope, the cell key secret (by digest) and the request itself. It is known before anything is
 * computed, so `If-None-Match` with the current ETag costs no engine work:
 * 304 Not Modified. A load or a hot reload changes it.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { modelFingerprint, stableJson } from '../query/cache.ts';
import type { QueryContext } from '../query/execute.ts';
import type { Principal } from '../security/principal.ts';

export async function answerEtag(ctx: QueryContext, principal: Principal, request: FastifyRequest, extra?: unknown): Promise<string> {
  const status = await ctx.dataStatus();
  const key = stableJson([
    modelFingerprint(ctx.model),
    status.versions,
    ctx.nationalExemptFromDisclosure ?? false,
    // A new cell key secret changes every published figure: the tag changes too (a digest, never the secret itself).
    ctx.cellKeySecret ? createHash('sha256').update('pas-cell-key\0').update(ctx.cellKeySecret).digest('base64url') : null,
    principal.profile,
    principal.scope ?? null,
    request.method,
    request.url,
    request.body ?? null,
    request.headers.accept ?? null,
    extra ?? null,
  ]);
  return `W/"${createHash('sha256').update(key).digest('base64url').slice(0, 32)}"`;
}

/** Sets the ETag (private: it depends on who asks) and answers 304 when the client already has it; true when it did. */
export function notModified(request: FastifyRequest, reply: FastifyReply, etag: string): boolean {
  reply.header('ETag', etag).header('Cache-Control', 'private, no-cache');
  const sent = request.headers['if-none-match'];
  if (!sent) return false;
  const tags = sent.split(',').map((s) => s.trim());
  if (!tags.includes('*') && !tags.some((t) => t.replace(/^W\//, '') === etag.replace(/^W\//, ''))) return false;
  reply.code(304).send();
  return true;
}
