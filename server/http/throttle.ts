/**
 * Rate limiting and authentication throttling (@fastify/rate-limit, local
 * store): requests per client address (before authentication), requests per
 * principal (after it), and a much smaller budget of failed authentications
 * per address: once spent, that address is refused with 429 before its
 * credentials are even checked, until the window ends. /health is never limited.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';

export interface ThrottleOptions {
  /** Length of every window, in milliseconds. */
  windowMs: number;
  /** Requests per client address per window. */
  perAddress: number;
  /** Requests per authenticated principal (token subject, API key, admin) per window. */
  perPrincipal: number;
  /** Failed authentications (401) per client address per window. */
  authFailures: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = { windowMs: 60_000, perAddress: 1200, perPrincipal: 600, authFailures: 20 };

export async function registerThrottle(app: FastifyInstance, opts: ThrottleOptions): Promise<void> {
  await app.register(rateLimit, { global: false });
  const limiter = (max: number, key: (req: FastifyRequest) => string) => app.createRateLimit({ max, timeWindow: opts.windowMs, keyGenerator: key });
  const byAddress = limiter(opts.perAddress, (req) => `address:${req.ip}`);
  const failures = limiter(opts.authFailures, (req) => `auth-failures:${req.ip}`);
  const byPrincipal = limiter(opts.perPrincipal, (req) => `principal:${req.principal?.id ?? req.admin?.id}`);
  const window = `${Math.round(opts.windowMs / 1000)} s`;

  app.addHook('onRequest', async (request) => {
    if (request.url === '/health') return;
    // Read only: failures are counted when a 401 leaves (onSend below).
    await refuseIfSpent(failures, request, false, (s) => `Troppe autenticazioni fallite da questo indirizzo (${opts.authFailures} in ${window}): controllare il token o la chiave API e riprovare tra ${s} s.`);
    await refuseIfSpent(byAddress, request, true, (s) => `Troppe richieste da questo indirizzo (più di ${opts.perAddress} in ${window}): riprovare tra ${s} s.`);
  });
  // After authentication (an onRequest hook registered later): the principal is known.
  app.addHook('preHandler', async (request) => {
    if (!request.principal && !request.admin) return;
    await refuseIfSpent(byPrincipal, request, true, (s) => `Troppe richieste da questo utente (più di ${opts.perPrincipal} in ${window}): riprovare tra ${s} s.`);
  });
  app.addHook('onSend', async (request, reply) => {
    if (reply.statusCode === 401) await failures(request);
  });
}

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

/** Counts the request (or only reads the count) and refuses it with 429 when the budget is spent. */
async function refuseIfSpent(limit: Limiter, request: FastifyRequest, increment: boolean, detail: (retryAfter: number) => string): Promise<void> {
  const r = await limit(request, { increment });
  if (r.isAllowed) return;
  const spent = increment ? r.isExceeded : r.remaining === 0;
  if (!spent) return;
  const retryAfter = Math.max(1, r.ttlInSeconds);
  throw new AppError('RATE_LIMITED', detail(retryAfter), { retryAfter });
}
