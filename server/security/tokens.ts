/**
 * Bearer tokens (JWT) carrying profile and scope. Verified with a shared
 * secret (HS256), a PEM public key or a local JWKS file, so that an existing
 * identity provider can issue them. `jose` does the cryptography.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createLocalJWKSet, importSPKI, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import type { Caller } from './principal.ts';
import { ROLES, RoleSchema, type Role } from './profiles.ts';


export interface TokenConfig {
  /** HS256 shared secret. */
  secret?: string;
  /** PEM file of the public key (RS256/ES256 tokens from an identity provider). */
  publicKeyFile?: string;
  /** Local JWKS file (keys of an identity provider). */
  jwksFile?: string;
  /** Algorithm of the public key (default RS256). */
  algorithm?: string;
  issuer?: string;
  audience?: string;
}

const Claims = z.object({
  sub: z.string().min(1).max(200),
  profile: RoleSchema,
  scope: z.string().min(1).max(64).optional(),
  name: z.string().max(200).optional(),
});

export type Verifier = (token: string) => Promise<Caller>;

export async function createVerifier(config: TokenConfig): Promise<Verifier> {
  let key: Uint8Array | CryptoKey | JWTVerifyGetKey;
  if (config.jwksFile) key = createLocalJWKSet(JSON.parse(readFileSync(config.jwksFile, 'utf8')));
  else if (config.publicKeyFile) {
    const pem = readFileSync(config.publicKeyFile, 'utf8');
    key = await importSPKI(pem, config.algorithm ?? 'RS256');
  } else if (config.secret) key = new TextEncoder().encode(config.secret);
  else throw new Error('no token verification key configured');
  const options = { issuer: config.issuer, audience: config.audience, algorithms: config.jwksFile ? ['RS256', 'ES256', 'PS256'] : config.publicKeyFile ? [config.algorithm ?? 'RS256'] : ['HS256'] };
  return async (token) => {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, key as Uint8Array, options));
    } catch (err) {
      const code = (err as { code?: string }).code;
      const why = code === 'ERR_JWT_EXPIRED' ? 'è scaduto' : code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' ? 'ha una firma non valida' : 'non è valido';
      throw new AppError('UNAUTHORIZED', `Il token ${why}: richiederne uno nuovo (npm run token, o il proprio identity provider).`);
    }
    const claims = Claims.safeParse(payload);
    if (!claims.success) throw new AppError('UNAUTHORIZED', `Il token non contiene un profilo valido (profile tra ${ROLES.join(', ')}, scope, sub).`);
    const { sub, profile, scope } = claims.data;
    if (profile === 'admin') return { id: sub, role: 'admin' };
    if (profile !== 'nazionale' && !scope) throw new AppError('UNAUTHORIZED', `Il token di profilo ${profile} non indica lo scope (codice del territorio o dell'ente).`);
    return { id: sub, profile, ...(profile !== 'nazionale' ? { scope } : {}) };
  };
}

export interface MintOptions {
  secret: string;
  profile: Role;
  scope?: string;
  subject: string;
  name?: string;
  /** e.g. '8h', '7d' */
  expiresIn: string;
  issuer?: string;
  audience?: string;
}

export async function mintToken(o: MintOptions): Promise<string> {
  let jwt = new SignJWT({ profile: o.profile, ...(o.scope ? { scope: o.scope } : {}), ...(o.name ? { name: o.name } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(o.subject)
    .setIssuedAt()
    .setExpirationTime(o.expiresIn);
  if (o.issuer) jwt = jwt.setIssuer(o.issuer);
  if (o.audience) jwt = jwt.setAudience(o.audience);
  return jwt.sign(new TextEncoder().encode(o.secret));
}

/** The demo's shared secret: from JWT_SECRET, else generated once into the data directory (mode 0600). */
export function demoSecret(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}
