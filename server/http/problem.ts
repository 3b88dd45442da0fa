/** One error handler: every failure leaves as application/problem+json (RFC 9457) with a message a person can act on. */
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, ERRORS, errorType, isInternal, type ErrorCode } from '../errors.ts';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  [extra: string]: unknown;
}

export function problemOf(code: ErrorCode, detail: string, extra: Record<string, unknown> = {}): Problem {
  const { status, title } = ERRORS[code];
  return { type: errorType(code), title, status, detail, code, ...extra };
}

export function registerProblemHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    let problem: Problem;
    if (err instanceof AppError && !isInternal(err)) {
      problem = problemOf(err.code, err.detail, err.extra);
    } else if (hasZodFastifySchemaValidationErrors(err)) {
      const issues = err.validation.map((v) => ({
        path: `${err.validationContext ?? 'body'}${v.instancePath ? v.instancePath.replaceAll('/', '.') : ''}`,
        message: v.message ?? 'non valido',
      }));
      problem = problemOf('INVALID_REQUEST', `La richiesta non è valida: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { issues });
    } else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      // Fastify's own client errors (malformed JSON, body too large, unsupported media type).
      problem = { ...problemOf('INVALID_REQUEST', err.message), status: err.statusCode };
    } else {
      // Unexpected errors and broken invariants: the text is for the log, the user gets the request id.
      request.log.error({ err }, 'unhandled error');
      problem = problemOf('INTERNAL', `Errore interno del server, registrato con il codice ${request.id}: riprovare o comunicarlo all'amministratore.`);
    }
    // A server-side failure carries the id of its log lines, for whoever has to find them.
    if (problem.status >= 500) {
      if (!isInternal(err)) request.log.error({ err }, problem.code);
      problem.requestId = request.id;
    }
    // Busy, unavailable or throttled: the client is told when to try again.
    if (typeof problem.retryAfter === 'number') reply.header('Retry-After', String(problem.retryAfter));
    return reply.code(problem.status).type('application/problem+json').send(problem);
  });
  app.setNotFoundHandler((request, reply) => {
    const problem = problemOf('NOT_FOUND', `Nessuna risorsa a ${request.method} ${request.url}. L'elenco delle API è in /docs.`);
    return reply.code(404).type('application/problem+json').send(problem);
  });
}
