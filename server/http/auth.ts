/**
 * Who is calling: a Bearer token (JWT) or an API key (`X-API-Key`). Every
 * /v1 route needs a valid principal whose scope exists; routes read it from
 * `request.principal`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import type { ApiKeyStore } from '../security/api-keys.ts';
import type { Directory } from '../security/directory.ts';
import { requireAdmin, requireDataProfile, type Admin, type Caller, type Principal } from '../security/principal.ts';
import { resolveScope } from '../security/scope.ts';
import type { Verifier } from '../security/tokens.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** A data profile (every /v1 route but /v1/admin). */
    principal?: Principal;
    /** The administrator (/v1/admin routes only). */
    admin?: Admin;
  }
}

export interface Authenticator {
  verify: Verifier;
  apiKeys?: ApiKeyStore;
  directory: () => Directory;
}

export function registerAuth(app: FastifyInstance, auth: Authenticator): void {
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/v1/')) return;
    const caller = await authenticate(request, auth);
    // The admin role and the data profiles are kept apart here, once for every route.
    if (request.url.startsWith('/v1/admin/')) {
      request.admin = requireAdmin(caller);
      return;
    }
    request.principal = requireDataProfile(caller);
    // A token for a territory or provider that does not exist is refused here, once.
    resolveScope(request.principal, auth.directory());
  });
}

async function authenticate(request: FastifyRequest, auth: Authenticator): Promise<Caller> {
  const header = request.headers.authorization;
  const apiKey = request.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey) {
    const principal = auth.apiKeys?.authenticate(apiKey);
    if (!principal) throw new AppError('UNAUTHORIZED', 'La chiave API non è valida, è scaduta o è stata revocata: chiederne una nuova all\'amministratore (npm run apikey -- create).');
    return principal;
  }
  if (header?.startsWith('Bearer ')) return auth.verify(header.slice(7).trim());
  throw new AppError('UNAUTHORIZED', "Autenticazione richiesta: inviare 'Authorization: Bearer <token>' oppure 'X-API-Key: <chiave>'. All'avvio dimostrativo il server stampa un token per ogni profilo.");
}

/** The principal of an authenticated request (the hook guarantees it on /v1 routes). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('UNAUTHORIZED', 'Autenticazione richiesta.');
  return request.principal;
}

/** The administrator of an /v1/admin request (the hook guarantees it there). */
export function adminOf(request: FastifyRequest): Admin {
  return requireAdmin(request.admin);
}
