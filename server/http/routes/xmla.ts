/**
 * POST /xmla: XML for Analysis 1.1 over SOAP 1.1, for Excel PivotTables, CUBE
 * formulas and other XMLA clients. Credentials: HTTP Basic whose password is
 * an API key (what Excel's user/password dialog sends) or a token; Bearer
 * tokens and X-API-Key as on /v1. Errors are SOAP faults with the same
 * Italian messages as REST.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, isInternal } from '../../errors.ts';
import type { QueryContext } from '../../query/execute.ts';
import type { Caller, Principal } from '../../security/principal.ts';
import { discover } from '../../xmla/discover.ts';
import { executeStatement } from '../../xmla/execute.ts';
import { discoverResponse, executeResponse, fault, parseRequest, XmlaError } from '../../xmla/soap.ts';
import { authenticate, dataPrincipal, type Authenticator } from '../auth.ts';

const REALM = 'Basic realm="PAS cubi XMLA", charset="UTF-8"';

async function xmlaPrincipal(request: FastifyRequest, auth: Authenticator): Promise<Principal> {
  const header = request.headers.authorization;
  let caller: Caller | undefined;
  if (header?.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const password = decoded.slice(decoded.indexOf(':') + 1);
    caller = auth.apiKeys?.authenticate(password) ?? (password.startsWith('pas_') ? undefined : await auth.verify(password).catch(() => undefined));
    if (!caller) throw new AppError('UNAUTHORIZED', 'Credenziali non valide: come password usare una chiave API (npm run apikey -- create) o un token di un profilo; il nome utente è libero.');
  } else caller = await authenticate(request, auth);
  return dataPrincipal(caller, auth);
}

export async function xmlaRoutes(app: FastifyInstance, opts: { context: () => QueryContext; auth: Authenticator }): Promise<void> {
  app.addContentTypeParser(['text/xml', 'application/xml', 'application/soap+xml'], { parseAs: 'string', bodyLimit: 1_000_000 }, (_req, body, done) => done(null, body));

  app.post('/xmla', { schema: { hide: true } }, async (request: FastifyRequest, reply: FastifyReply) => {
    const send = (status: number, xml: string) => reply.code(status).type('text/xml; charset=utf-8').send(xml);
    let principal: Principal;
    try {
      principal = await xmlaPrincipal(request, opts.auth);
    } catch (err) {
      const message = err instanceof AppError ? err.detail : 'Autenticazione richiesta.';
      const status = err instanceof AppError ? err.status : 401;
      if (status === 401) reply.header('WWW-Authenticate', REALM);
      return send(status, fault(message, 'XMLAnalysisError.0xc1060000'));
    }
    try {
      if (typeof request.body !== 'string') throw new XmlaError("La richiesta XMLA va inviata come XML (Content-Type: text/xml).");
      const req = parseRequest(request.body);
      const d = { ctx: opts.context(), principal, url: `${request.protocol}://${request.host}/xmla` };
      if (req.kind === 'discover') {
        const xml = await discover(req.requestType, d, req.restrictions);
        request.log.info({ xmla: 'discover', requestType: req.requestType, restrictions: req.restrictions, principal: principal.id }, 'xmla discover');
        return send(200, discoverResponse(xml, req.session));
      }
      const result = await executeStatement(req.statement, req.properties, d);
      request.log.info({ xmla: 'execute', statement: req.statement.slice(0, 2000), specs: result.specs, principal: principal.id }, 'xmla execute');
      return send(200, executeResponse(result.xml, req.session));
    } catch (err) {
      if (err instanceof XmlaError) return send(500, fault(err.message));
      if (err instanceof AppError && !isInternal(err)) return send(500, fault(err.detail, `XMLAnalysisError.${err.code}`));
      request.log.error({ err }, 'xmla: unhandled error');
      return send(500, fault("Errore interno del server. L'errore è stato registrato; riprovare o contattare l'amministratore."));
    }
  });
}
