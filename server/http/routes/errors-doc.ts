/** GET /errors: the table of error codes, each with its anchor, so that a problem's `type` (/errors#CODE) leads somewhere. */
import type { FastifyPluginAsync } from 'fastify';
import { ERRORS, ERRORS_PATH, type ErrorCode } from '../../errors.ts';

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function errorsPage(): string {
  const rows = (Object.entries(ERRORS) as [ErrorCode, (typeof ERRORS)[ErrorCode]][])
    .map(([code, e]) => `<tr id="${code}"><td><a href="#${code}"><code>${code}</code></a></td><td>${e.status}</td><td>${escape(e.title)}</td><td>${escape(e.doc).replace(/`([^`]+)`/g, '<code>$1</code>')}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="it"><head><meta charset="utf-8"><title>Codici di errore — PAS cubi</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.4rem .6rem;vertical-align:top;text-align:left}tr:target{background:#fff6d5}</style></head>
<body><h1>Codici di errore</h1>
<p>Ogni errore dell'API è una risposta <code>application/problem+json</code> (RFC 9457) con <code>type</code> = <code>${ERRORS_PATH}#CODICE</code>, <code>title</code>, <code>status</code>, <code>detail</code> (cosa fare) e <code>code</code>. Gli errori 5xx portano anche <code>requestId</code>, da comunicare all'amministratore.</p>
<table><thead><tr><th>code</th><th>HTTP</th><th>title</th><th>significato e rimedio</th></tr></thead>
<tbody>
${rows}
</tbody></table></body></html>`;
}

export const errorDocRoutes: FastifyPluginAsync = async (app) => {
  const page = errorsPage();
  app.get(ERRORS_PATH, { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
};
