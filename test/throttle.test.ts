/** Rate limiting and authentication throttling: 429 problem+json with Retry-After, per address, per principal, failed logins. */
import t from 'tap';
import { mintToken } from '../server/security/tokens.ts';
import { demoApp, TEST_SECRET } from './helpers/app.ts';

const WINDOW = 600_000;
const demo = await demoApp(2_000, 3, { throttle: { windowMs: WINDOW, perAddress: 8, perPrincipal: 4, authFailures: 5 } });
t.teardown(() => demo.dispose());
const { app } = demo;

const get = (url: string, remoteAddress: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, remoteAddress, headers });

t.test('a burst of failed logins gets 429 with Retry-After; then even a valid token from that address waits', async (t) => {
  const bad = { authorization: 'Bearer not-a-token' };
  const codes: number[] = [];
  for (let i = 0; i < 7; i++) codes.push((await get('/v1/cubes', '10.0.0.1', bad)).statusCode);
  t.same(codes, [401, 401, 401, 401, 401, 429, 429], 'five failures allowed in the window, then refused before checking');
  const refused = await get('/v1/cubes', '10.0.0.1', await demo.as({ profile: 'nazionale' }));
  t.equal(refused.statusCode, 429);
  t.match(refused.headers['content-type'], /application\/problem\+json/);
  const retry = Number(refused.headers['retry-after']);
  t.ok(retry > 0 && retry <= WINDOW / 1000, `Retry-After ${retry} s within the window`);
  t.match(refused.json(), { code: 'RATE_LIMITED', status: 429, retryAfter: retry });
  t.match(refused.json().detail, /Troppe autenticazioni fallite da questo indirizzo \(5 in 600 s\)/);
  t.equal((await get('/v1/cubes', '10.0.0.2', await demo.as({ profile: 'nazionale' }))).statusCode, 200, 'another address is not affected');
  t.equal((await get('/health', '10.0.0.1')).statusCode, 200, '/health is never limited');
});

t.test('per principal: the same user from several addresses is limited; another user is not', async (t) => {
  const alice = { authorization: `Bearer ${await mintToken({ secret: TEST_SECRET, profile: 'nazionale', subject: 'alice', expiresIn: '1h' })}` };
  const codes: number[] = [];
  for (let i = 0; i < 5; i++) codes.push((await get('/v1/cubes', `10.1.0.${i}`, alice)).statusCode);
  t.same(codes, [200, 200, 200, 200, 429]);
  const [{ regione }] = await demo.engine.query<{ regione: string }>(`SELECT regione FROM ${demo.engine.table('territorio')} LIMIT 1`);
  t.equal((await get('/v1/cubes', '10.1.0.0', await demo.as({ profile: 'regionale', scope: regione }))).statusCode, 200, 'another principal from the same address');
  const res = await get('/v1/cubes', '10.1.0.9', alice);
  t.match(res.json().detail, /Troppe richieste da questo utente \(più di 4 in 600 s\)/);
});

t.test('per address: any request past the budget is refused, /health still answers', async (t) => {
  const codes: number[] = [];
  for (let i = 0; i < 9; i++) codes.push((await get('/openapi.json', '10.2.0.1')).statusCode);
  t.same(codes, [200, 200, 200, 200, 200, 200, 200, 200, 429]);
  t.equal((await get('/health', '10.2.0.1')).statusCode, 200);
  t.ok(Number((await get('/openapi.json', '10.2.0.1')).headers['retry-after']) > 0);
});

t.test('throttle: false turns rate limiting off', async (t) => {
  const { buildApp } = await import('../server/http/app.ts');
  const { createVerifier } = await import('../server/security/tokens.ts');
  const open = await buildApp({ context: () => demo.context, auth: { verify: await createVerifier({ secret: 'x'.repeat(40) }) }, throttle: false });
  t.teardown(() => open.close());
  const codes = new Set<number>();
  for (let i = 0; i < 30; i++) codes.add((await open.inject({ method: 'GET', url: '/v1/cubes', remoteAddress: '10.3.0.1', headers: { authorization: 'Bearer bad' } })).statusCode);
  t.same([...codes], [401]);
});

t.test('the query routes document the answers of the limits', async (t) => {
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json', remoteAddress: '10.4.0.1' })).json();
  for (const method of ['get', 'post']) t.ok(['413', '429', '503', '504'].every((s) => doc.paths['/v1/cubes/{cube}/query'][method].responses[s]), method);
});
