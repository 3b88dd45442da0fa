/**
 * The API's contracts are checked (issue #17): every error code is unique,
 * documented and served at its problem `type`; no untyped error reaches a
 * client; every data operation declares its 200 answer; an answer that does
 * not match its schema is stopped, naming the field.
 */
import t from 'tap';
import Fastify from 'fastify';
import { z } from 'zod';
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERRORS, ERRORS_PATH, invariant } from '../server/errors.ts';
import { registerProblemHandler } from '../server/http/problem.ts';
import { PonSchedaOut, ReportOut } from '../server/http/schemas.ts';
import { droppedPaths, responseSerializer, type ResponseCheck } from '../server/http/serializer.ts';
import { demoApp } from './helpers/app.ts';

t.test('the error table: codes unique and well-formed, every one titled and documented', async (t) => {
  const codes = Object.keys(ERRORS);
  const titles = Object.values(ERRORS).map((e) => e.title);
  t.equal(new Set(titles).size, titles.length, 'titles unique');
  for (const [code, e] of Object.entries(ERRORS)) {
    t.match(code, /^[A-Z][A-Z_]+$/, code);
    t.ok(Number.isInteger(e.status) && e.status >= 400 && e.status < 600, `${code}: HTTP ${e.status}`);
    t.ok(e.title.length > 5, `${code}: title`);
    t.ok(e.doc.length > 30, `${code}: documented`);
  }
  t.ok(codes.includes('INTERNAL') && codes.includes('RESPONSE_CONTRACT'));
});

/** A bare app with the problem handler and the response check, and routes that misbehave. */
async function bareApp(check: ResponseCheck) {
  const app = Fastify({ logger: false }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(responseSerializer(check));
  registerProblemHandler(app);
  const Out = z.object({ a: z.number(), inner: z.object({ b: z.string() }).optional() });
  app.get('/extra', { schema: { response: { 200: Out } } }, async () => ({ a: 1, secret: 'x', inner: { b: 'y', leaked: true } }) as never);
  app.get('/wrong', { schema: { response: { 200: Out } } }, async () => ({ a: 'uno' }) as never);
  app.get('/boom', async () => {
    throw new Error('a plain error from deep inside');
  });
  app.get('/invariant', async () => {
    invariant(false, 'a broken invariant from deep inside');
  });
  await app.ready();
  return app;
}

t.test('an answer that breaks its schema is stopped, naming the fields', async (t) => {
  const strict = await bareApp('strict');
  t.teardown(() => strict.close());
  const extra = await strict.inject('/extra');
  t.equal(extra.statusCode, 500);
  t.match(extra.json(), { code: 'RESPONSE_CONTRACT', type: `${ERRORS_PATH}#RESPONSE_CONTRACT` });
  t.match(extra.json().detail, /secret, inner\.leaked/);
  t.match((await strict.inject('/wrong')).json(), { status: 500, code: 'RESPONSE_CONTRACT', detail: /a: / });

  const production = await bareApp('encode');
  t.teardown(() => production.close());
  t.same((await production.inject('/extra')).json(), { a: 1, inner: { b: 'y' } }, 'in production undeclared fields never leave');
  t.equal((await production.inject('/wrong')).statusCode, 500, 'a wrong type is stopped in production too');

  t.same(droppedPaths({ a: 1, r: [{ x: 1, y: 2 }], u: undefined }, { a: 1, r: [{ x: 1 }] }), ['r[0].y']);
});

t.test('a frozen answer (what the result cache serves) is encoded once per schema; any other answer at every request', async (t) => {
  let encodes = 0;
  const Out = z.object({ rows: z.array(z.object({ n: z.number() })) }).check(() => void encodes++);
  const fresh = { rows: [{ n: 3 }] };
  for (const check of ['strict', 'encode'] as const) {
    const frozen = Object.freeze({ rows: Object.freeze([Object.freeze({ n: 1 }), Object.freeze({ n: 2 })]) });
    const app = Fastify({ logger: false }).withTypeProvider<ZodTypeProvider>();
    app.setSerializerCompiler(responseSerializer(check));
    app.get('/frozen', { schema: { response: { 200: Out } } }, async () => frozen as never);
    app.get('/fresh', { schema: { response: { 200: Out } } }, async () => fresh);
    await app.ready();
    encodes = 0;
    const bodies = [];
    for (let i = 0; i < 3; i++) bodies.push((await app.inject('/frozen')).body);
    t.same(bodies, Array(3).fill('{"rows":[{"n":1},{"n":2}]}'), `${check}: the same answer each time`);
    t.equal(encodes, 1, `${check}: the frozen answer was encoded once`);
    for (let i = 0; i < 3; i++) t.equal((await app.inject('/fresh')).body, '{"rows":[{"n":3}]}');
    t.equal(encodes, 4, `${check}: an answer that may change is encoded at every request`);
    await app.close();
  }
});

t.test('a plain Error reaches the client as a typed 500 with the request id', async (t) => {
  const app = await bareApp('strict');
  t.teardown(() => app.close());
  const res = await app.inject('/boom');
  t.equal(res.statusCode, 500);
  t.match(res.headers['content-type'], /application\/problem\+json/);
  const body = res.json();
  t.match(body, { code: 'INTERNAL', type: `${ERRORS_PATH}#INTERNAL`, title: ERRORS.INTERNAL.title });
  t.type(body.requestId, 'string');
  t.ok(body.detail.includes(body.requestId), 'the message gives the id to quote');
  t.notMatch(body.detail, /deep inside/, 'internals are logged, not sent');
});

t.test('a broken invariant is answered like any unexpected error: INTERNAL, the generic message, its text only logged', async (t) => {
  const app = await bareApp('strict');
  t.teardown(() => app.close());
  const [plain, broken] = [await app.inject('/boom'), await app.inject('/invariant')];
  t.equal(broken.statusCode, 500);
  const strip = (b: Record<string, unknown>) => ({ ...b, requestId: undefined, detail: String(b.detail).replace(String(b.requestId), '<id>') });
  t.same(strip(broken.json()), strip(plain.json()), 'the same problem as a plain Error');
  t.notMatch(broken.json().detail, /deep inside/, 'the text is not sent');
  t.throws(() => invariant(false, 'x'), { code: 'INTERNAL', status: 500 }, 'typed: an AppError with a documented code');
});

t.test('plain Errors are thrown only at start (configuration, keys, token minting), by demo data generation and inside the engine client, never elsewhere on the request path', async (t) => {
  const sources = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
  // engine/lanes.ts runs inside the client's guard, which types what it throws (ENGINE_UNAVAILABLE, 503).
  const START = ['server/config.ts', 'server/security/auth-config.ts', 'server/security/tokens.ts', 'server/engine/lanes.ts'];
  const throwing = sources('server').filter((f) => /throw new Error\(/.test(readFileSync(f, 'utf8')));
  t.same(throwing.filter((f) => !START.includes(f) && !f.startsWith('server/data/') && !f.startsWith('server/cli/')), []);
  t.ok(throwing.includes('server/config.ts'), 'the check sees them where they are');
});

t.test('on the real app', async (t) => {
  const demo = await demoApp(3000, 4);
  t.teardown(demo.dispose);
  const { app } = demo;
  const headers = await demo.as({ profile: 'nazionale' });

  await t.test('the problem type of an error is served: the table of codes with an anchor for each', async (t) => {
    const problem = (await app.inject({ method: 'GET', url: '/v1/nothing', headers })).json();
    t.equal(problem.type, `${ERRORS_PATH}#NOT_FOUND`);
    const page = await app.inject({ method: 'GET', url: problem.type.split('#')[0] });
    t.equal(page.statusCode, 200);
    t.match(page.headers['content-type'], /text\/html/);
    for (const [code, e] of Object.entries(ERRORS)) {
      t.ok(page.body.includes(`id="${code}"`), `${code} has its anchor`);
      t.ok(page.body.includes(`<td>${e.status}</td>`), `${code}: status shown`);
    }
    t.equal((await app.inject({ method: 'GET', url: '/docs' })).statusCode < 400, true, 'swagger-ui still at /docs');
  });

  await t.test('every data operation declares its 200 (or 201) answer in the OpenAPI document', async (t) => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, { responses?: Record<string, unknown> }>> };
    let n = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (!path.startsWith('/v1/')) continue;
      for (const [method, op] of Object.entries(ops)) {
        const ok = op.responses?.['200'] ?? op.responses?.['201'];
        t.ok(ok, `${method.toUpperCase()} ${path} has a success schema`);
        n++;
      }
    }
    t.ok(n >= 8, `${n} operations checked`);
    t.ok(doc.paths['/v1/reports/{report}']?.post?.responses?.['200'], 'POST /v1/reports/{report} among them');
  });

  await t.test('report and PON answers parse with the schemas the add-in types come from', async (t) => {
    const report = await app.inject({ method: 'POST', url: '/v1/reports/quadro_nazionale', headers, payload: {} });
    t.equal(report.statusCode, 200);
    t.ok(ReportOut.safeParse(report.json()).success);
    t.ok(ReportOut.strict().safeParse(report.json()).success, 'no field beyond the declared ones at the top');
    const wrongFormat = await app.inject({ method: 'POST', url: '/v1/reports/quadro_nazionale?format=csv', headers, payload: {} });
    t.equal(wrongFormat.statusCode, 400, 'a format the report does not offer is refused by the schema');
    const notAcceptable = await app.inject({ method: 'POST', url: '/v1/reports/quadro_nazionale', headers: { ...headers, accept: 'text/csv' }, payload: {} });
    t.match(notAcceptable.json(), { status: 406, code: 'NOT_ACCEPTABLE' });
    t.ok(PonSchedaOut.shape.ats_nome, 'the PON schema names the ATS');
  });

  await t.test('queries and reports leave audit lines of one shape', async (t) => {
    const before = demo.logs.length;
    await app.inject({ method: 'POST', url: '/v1/cubes/prestazioni/query', headers, payload: { measures: ['beneficiari'], rows: ['genere'] } });
    await app.inject({ method: 'POST', url: '/v1/reports/quadro_nazionale', headers, payload: {} });
    const lines = demo.logs.slice(before).filter((l) => l.audit).map((l) => l.audit as Record<string, unknown>);
    t.equal(lines.length, 2);
    for (const a of lines) {
      t.match(a, { who: String, profile: 'nazionale', scope: null, cells: Number, suppressed: Number });
      t.ok('filters' in a);
    }
    t.equal(lines[0].cube, 'prestazioni');
    t.equal(lines[1].report, 'quadro_nazionale');
  });
});
