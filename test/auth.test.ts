/** Token verification with keys from an identity provider (PEM public key, JWKS file), and the access matrix by level. */
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { createVerifier } from '../server/security/tokens.ts';
import { PROFILES as LEVEL_ORDER, mayOpenLevel } from '../server/security/profiles.ts';
import { AppError } from '../server/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'pas-auth-'));
const { publicKey, privateKey } = await generateKeyPair('RS256');
const sign = (claims: Record<string, unknown>, key = privateKey, kid = 'k1') =>
  new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).setSubject('idp-user').setIssuer('https://idp.example.it').setAudience('pas').setIssuedAt().setExpirationTime('5m').sign(key);

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected a rejection');
}

t.test('a PEM public key verifies tokens of an identity provider, with issuer and audience', async (t) => {
  const pem = join(dir, 'idp.pem');
  writeFileSync(pem, await exportSPKI(publicKey));
  const verify = await createVerifier({ publicKeyFile: pem, issuer: 'https://idp.example.it', audience: 'pas' });
  t.same(await verify(await sign({ profile: 'ats', scope: 'ATS12005' })), { id: 'idp-user', profile: 'ats', scope: 'ATS12005' });
  const other = await generateKeyPair('RS256');
  t.equal((await rejection(verify(await sign({ profile: 'nazionale' }, other.privateKey)))).code, 'UNAUTHORIZED', 'another key');
  const wrongAudience = await new SignJWT({ profile: 'nazionale' }).setProtectedHeader({ alg: 'RS256' }).setSubject('x').setIssuer('https://idp.example.it').setAudience('altro').setExpirationTime('5m').sign(privateKey);
  t.equal((await rejection(verify(wrongAudience))).code, 'UNAUTHORIZED', 'another audience');
  t.match((await rejection(verify(await sign({ profile: 'sindaco', scope: 'x' })))).detail, /profilo valido/);
});

t.test('a JWKS file verifies tokens by key id', async (t) => {
  const jwks = join(dir, 'jwks.json');
  writeFileSync(jwks, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] }));
  const verify = await createVerifier({ jwksFile: jwks });
  t.same(await verify(await sign({ profile: 'regionale', scope: '12' })), { id: 'idp-user', profile: 'regionale', scope: '12' });
  t.equal((await rejection(verify(await sign({ profile: 'nazionale' }, privateKey, 'unknown')))).code, 'UNAUTHORIZED', 'unknown key id');
  const hs = await new SignJWT({ profile: 'nazionale' }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setExpirationTime('5m').sign(new TextEncoder().encode('a'.repeat(40)));
  t.equal((await rejection(verify(hs))).code, 'UNAUTHORIZED', 'an HS256 token is not accepted where keys are asymmetric');
});

t.test('the access matrix: a profile opens its level and the levels below', async (t) => {
  // Rows: the level of a cube or report; columns: the profile (seed 000, "Profili utente e accesso ai dati").
  const matrix: Record<string, string[]> = {
    nazionale: ['nazionale'],
    regionale: ['nazionale', 'regionale'],
    ats: ['nazionale', 'regionale', 'ats'],
    comunale: ['nazionale', 'regionale', 'ats', 'comunale'],
    ente: ['nazionale', 'regionale', 'ats', 'comunale', 'ente'],
  };
  for (const level of LEVEL_ORDER) for (const profile of LEVEL_ORDER) t.equal(mayOpenLevel(profile, level), matrix[level].includes(profile), `${profile} opens ${level}: ${matrix[level].includes(profile)}`);
});

t.test('a cube declared at regional level is refused to lower profiles, in queries and member lists', async (t) => {
  const { readdirSync, readFileSync } = await import('node:fs');
  const { loadModel } = await import('../server/model/load.ts');
  const { planQuery } = await import('../server/query/planner.ts');
  const { QuerySpecSchema } = await import('../server/plan/spec.ts');
  const { secure, secureMembers } = await import('../server/security/gate.ts');
  const { Directory } = await import('../server/security/directory.ts');
  const files: Record<string, string> = {};
  for (const f of readdirSync('cubes').filter((f) => f.endsWith('.yaml'))) files[`cubes/${f}`] = readFileSync(`cubes/${f}`, 'utf8');
  files['cubes/programmazione.yaml'] = readFileSync('cubes/prestazioni.yaml', 'utf8')
    .replace('name: prestazioni', 'name: programmazione')
    .replace('access:\n', 'access:\n  level: regionale\n')
    // Same table as prestazioni: declared once, in prestazioni.yaml.
    .replace(/\ntables:\n[\s\S]*?\ndimensions:/, '\ndimensions:');
  const model = loadModel({ files });
  t.equal(model.cubes.get('programmazione')!.access.level, 'regionale');
  const directory = new Directory(
    [{ comune: '058091', comune_nome: 'Roma', ats: 'ATS12001', ats_nome: 'Ambito di Roma', regione: '12', regione_nome: 'Lazio' }],
    [{ ente: 'C058091', ente_nome: 'Comune di Roma', ente_tipo: 'comune', sede_comune: '058091', sede_ats: 'ATS12001', sede_regione: '12' }],
  );
  const plan = planQuery(model, 'programmazione', QuerySpecSchema.parse({ measures: ['beneficiari'] }));
  const cube = model.cubes.get('programmazione')!;
  // The gate refuses to protect an answer without the installation's cell key secret: the context carries one.
  const gateContext = { model, directory, cellKeySecret: 'test-cell-key-secret-of-at-least-32-chars' };
  for (const [profile, scope, allowed] of [
    ['nazionale', undefined, true],
    ['regionale', '12', true],
    ['ats', 'ATS12001', false],
    ['comunale', '058091', false],
    ['ente', 'C058091', false],
  ] as const) {
    const principal = { id: 'x', profile, scope };
    if (allowed) {
      t.doesNotThrow(() => secure(plan, principal, gateContext), `${profile} may open it`);
    } else {
      t.throws(() => secure(plan, principal, gateContext), { code: 'FORBIDDEN_CUBE' }, `${profile} may not query it`);
      t.throws(() => secureMembers(undefined, cube, cube.dimensions.get('comune')!, principal, gateContext), { code: 'FORBIDDEN_CUBE' }, `${profile} may not list its members`);
    }
  }
});
