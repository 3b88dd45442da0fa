/**
 * Token and API-key lifetimes (issue #12, hole 3): a validly signed token
 * without exp, issued in the future, living longer than the maximum, or
 * carrying a scope on a profile that has none is refused; API keys expire.
 */
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { ApiKeyStore } from '../server/security/api-keys.ts';
import { createVerifier, mintToken } from '../server/security/tokens.ts';
import { cliSandbox, failure } from './helpers/cli.ts';

const SECRET = 'test-secret-of-at-least-32-characters-long';
const key = new TextEncoder().encode(SECRET);
const now = () => Math.floor(Date.now() / 1000);
const DAY = 86_400;

/** A token signed with the right key and exactly these claims. */
const signed = (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(key);
const verify = await createVerifier({ secret: SECRET });
const refusal = async (token: string) => {
  try {
    await verify(token);
  } catch (err) {
    return err as { code: string; status: number; message: string };
  }
  throw new Error('the token was accepted');
};

t.test('a well-formed token is accepted (the baseline the refusals below differ from by one claim)', async (t) => {
  t.same(await verify(await signed({ sub: 'u', profile: 'ats', scope: 'ATS12005', iat: now(), exp: now() + 3600 })), { id: 'u', profile: 'ats', scope: 'ATS12005' });
  t.same(await verify(await signed({ sub: 'n', profile: 'nazionale', iat: now(), exp: now() + 3600 })), { id: 'n', profile: 'nazionale' });
});

t.test('a token without exp (or without iat) never expired: now refused', async (t) => {
  const noExp = await refusal(await signed({ sub: 'u', profile: 'nazionale', iat: now() }));
  t.equal(noExp.code, 'UNAUTHORIZED');
  t.match(noExp.message, /non indica la scadenza \(exp\)/);
  const noIat = await refusal(await signed({ sub: 'u', profile: 'nazionale', exp: now() + 3600 }));
  t.match(noIat.message, /non indica l'emissione \(iat\)/);
});

t.test('iat or nbf in the future beyond 60 s of clock skew is refused; within it, accepted', async (t) => {
  const tenYears = await refusal(await signed({ sub: 'u', profile: 'nazionale', iat: now() + 10 * 365 * DAY, exp: now() + 10 * 365 * DAY + 3600 }));
  t.match(tenYears.message, /emissione \(iat\) nel futuro/);
  const nbf = await refusal(await signed({ sub: 'u', profile: 'nazionale', iat: now(), nbf: now() + 600, exp: now() + 3600 }));
  t.match(nbf.message, /inizio validità \(nbf\) nel futuro/);
  t.ok(await verify(await signed({ sub: 'u', profile: 'nazionale', iat: now() + 30, exp: now() + 3600 })), 'a clock 30 s ahead is tolerated');
  const expired = await refusal(await signed({ sub: 'u', profile: 'nazionale', iat: now() - 3600, exp: now() - 2 }));
  t.match(expired.message, /è scaduto/, 'the skew never extends an expired token');
});

t.test('lifetime: at most 30 days by default, configurable', async (t) => {
  t.ok(await verify(await signed({ sub: 'u', profile: 'nazionale', iat: now(), exp: now() + 30 * DAY })), '30 days');
  const long = await refusal(await signed({ sub: 'u', profile: 'nazionale', iat: now(), exp: now() + 31 * DAY }));
  t.match(long.message, /dura più del massimo consentito \(720 ore/);
  const old = await refusal(await signed({ sub: 'u', profile: 'nazionale', iat: now() - 31 * DAY, exp: now() + 3600 }));
  t.match(old.message, /scaduto/, 'issued longer ago than the maximum lifetime');
  const strict = await createVerifier({ secret: SECRET, maxLifetimeSeconds: 3600 });
  await t.rejects(strict(await signed({ sub: 'u', profile: 'nazionale', iat: now(), exp: now() + 2 * 3600 })), { code: 'UNAUTHORIZED' });
  await t.rejects(mintToken({ secret: SECRET, profile: 'nazionale', subject: 'u', expiresIn: '31d' }), /at most 30d/);
  await t.rejects(mintToken({ secret: SECRET, profile: 'nazionale', subject: 'u', expiresIn: '8h', maxLifetime: '1h' }), /at most 1h/);
  t.ok(await verify(await mintToken({ secret: SECRET, profile: 'nazionale', subject: 'u', expiresIn: '30d' })), 'minting the maximum works');
});

t.test('a scope claim on a profile without scope (nazionale, admin) is refused, not ignored', async (t) => {
  for (const profile of ['nazionale', 'admin']) {
    const r = await refusal(await signed({ sub: 'u', profile, scope: '12', iat: now(), exp: now() + 3600 }));
    t.equal(r.code, 'UNAUTHORIZED', profile);
    t.match(r.message, new RegExp(`profilo ${profile} non può indicare uno scope`));
  }
});

t.test('API keys can expire; without --expires they do not', async (t) => {
  const sandbox = cliSandbox('pas-tokens-');
  t.teardown(sandbox.dispose);
  const file = join(sandbox.dataDir, 'api-keys.json');
  const store = new ApiKeyStore(file);
  const soon = store.create({ name: 'breve', profile: 'regionale', scope: '12', expires: new Date(Date.now() + 60_000) });
  const forever = store.create({ name: 'lunga', profile: 'nazionale' });
  t.same(store.authenticate(soon.key), { id: `apikey:${soon.entry.id}:breve`, profile: 'regionale', scope: '12' });
  t.equal(store.authenticate(soon.key, new Date(Date.now() + 120_000)), undefined, 'refused after its expiry');
  t.ok(store.authenticate(forever.key, new Date(Date.now() + 50 * 365 * DAY * 1000)), 'no expiry: still valid in 50 years');

  const created = await sandbox.tsx('server/cli/apikey.ts', ['create', '--name', 'istat', '--profile', 'nazionale', '--expires', '2099-06-30']);
  t.match(created.stdout, /valida fino al 2099-06-30T23:59:59.999Z/);
  const byDuration = await sandbox.tsx('server/cli/apikey.ts', ['create', '--name', 'r', '--profile', 'ats', '--scope', 'ATS12005', '--expires', '365d']);
  const until = Date.parse(byDuration.stdout.match(/valida fino al (\S+)\./)![1]);
  t.ok(Math.abs(until - (Date.now() + 365 * DAY * 1000)) < 60_000, '365 days from now');
  t.ok(existsSync(file) && JSON.parse(readFileSync(file, 'utf8')).keys.some((k: { expires?: string }) => k.expires === '2099-06-30T23:59:59.999Z'));
  t.match((await sandbox.tsx('server/cli/apikey.ts', ['list'])).stdout, /istat\tnazionale\t-\t\S+\t2099-06-30T23:59:59.999Z\tattiva/);
  const past = await failure(sandbox.tsx('server/cli/apikey.ts', ['create', '--name', 'x', '--profile', 'nazionale', '--expires', '2001-01-01']));
  t.equal(past.code, 2);
  t.match(past.stderr, /già passata/);
  const scoped = await failure(sandbox.tsx('server/cli/apikey.ts', ['create', '--name', 'x', '--profile', 'nazionale', '--scope', '12']));
  t.match(scoped.stderr, /non ha ambito/);
});

t.test('npm run token: default lifetime valid, longer than the maximum refused', async (t) => {
  const sandbox = cliSandbox('pas-tokens-');
  t.teardown(sandbox.dispose);
  const { stdout } = await sandbox.tsx('server/cli/token.ts', ['--profile', 'nazionale']);
  const secret = readFileSync(join(sandbox.dataDir, 'jwt-secret'), 'utf8').trim();
  t.same(await (await createVerifier({ secret }))(stdout.trim()), { id: 'nazionale:italia', profile: 'nazionale' });
  const long = await failure(sandbox.tsx('server/cli/token.ts', ['--profile', 'nazionale', '--expires', '90d']));
  t.equal(long.code, 2);
  t.match(long.stderr, /al massimo 30d/);
  const scoped = await failure(sandbox.tsx('server/cli/token.ts', ['--profile', 'nazionale', '--scope', '12']));
  t.match(scoped.stderr, /non ha ambito/);
});
