/**
 * A built-in HTML preview per report, so that a statistician can look at a
 * report in the browser without Excel: a static page that asks the API for
 * the report (with the user's token) and draws it with Chart.js.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';

const page = readFileSync(new URL('../preview/report.html', import.meta.url), 'utf8');
const script = readFileSync(new URL('../preview/report.js', import.meta.url), 'utf8');
// The package's exports map hides the UMD build: locate the package, then the file.
const chartJs = readFileSync(join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js'), 'utf8');

export const previewRoutes: FastifyPluginAsync = async (app) => {
  app.get('/anteprima/report.js', { schema: { hide: true } }, async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(script));
  app.get('/vendor/chart.umd.min.js', { schema: { hide: true } }, async (_req, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(chartJs));
  app.get('/anteprima/:report', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(page));
};
