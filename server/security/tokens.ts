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
import { needsScope, ROLES, RoleSchema, type Role } from './profiles.ts';


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
  /** Longest lifetime accepted (exp - iat), in seconds; default 30 days. */
  maxLifetimeSeconds?: number;
}

/** Default bound on a token's lifetime, also the longest `npm run token` mints. */
export const DEFAULT_MAX_LIFETIME = '30d';
/** Clocks of issuer and server may differ by this much (seconds). */
export const CLOCK_SKEW_SECONDS = 60;

const DURATION = /^(\d+)([smhd])$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** '30m', '8h', '7d' -> seconds; undefined when not of that form. */
export function durationSeconds(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  return m ? Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS] : undefined;
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
  const maxLifetime = config.maxLifetimeSeconds ?? durationSeconds(DEFAULT_MAX_LIFETIME)!;
  const options = {
    issuer: config.issuer,
    audience: config.audience,
    algorithms: config.jwksFile ? ['RS256', 'ES256', 'PS256'] : config.publicKeyFile ? [config.algorithm ?? 'RS256'] : ['HS256'],
    // A token must expire; issued (iat) or valid from (nbf) in the future beyond the clock skew is refused.
    requiredClaims: ['exp', 'iat'],
    maxTokenAge: maxLifetime,
    clockTolerance: CLOCK_SKEW_SECONDS,
  };
  const refuse = (why: string) => new AppError('UNAUTHORIZED', `Il token ${why}: richiederne uno nuovo (npm run token, o il proprio identity provider).`);
  return async (token) => {
    let payload: { exp?: number; iat?: number };
    try {
      ({ payload } = await jwtVerify(token, key as Uint8Array, options));
    } catch (err) {
      throw refuse(tokenError(err as { code?: string; claim?: string; reason?: string }));
    }
    // The skew tolerates clocks ahead (iat, nbf), never an expired token.
    if (payload.exp! <= Date.now() / 1000) throw refuse('è scaduto');
    if (payload.exp! - payload.iat! > maxLifetime + CLOCK_SKEW_SECONDS)
      throw refuse(`dura più del massimo consentito (${Math.round(maxLifetime / 3600)} ore dall'emissione)`);
    const claims = Claims.safeParse(payload);
    if (!claims.success) throw new AppError('UNAUTHORIZED', `Il token non contiene un profilo valido (profile tra ${ROLES.join(', ')}, scope, sub).`);
    const { sub, profile, scope } = claims.data;
    if (needsScope(profile) && !scope) throw new AppError('UNAUTHORIZED', `Il token di profilo ${profile} non indica lo scope (codice del territorio o dell'ente).`);
    if (!needsScope(profile) && scope !== undefined)
      throw new AppError('UNAUTHORIZED', `Il token di profilo ${profile} non può indicare uno scope ("${scope}"): il profilo ${profile} non è legato a un territorio. Richiedere un token senza scope o del profilo giusto.`);
    if (profile === 'admin') return { id: sub, role: 'admin' };
    return { id: sub, profile, ...(scope !== undefined ? { scope } : {}) };
  };
}

function tokenError(err: { code?: string; claim?: string; reason?: string }): string {
  if (err.code === 'ERR_JWT_EXPIRED') return 'è scaduto';
  if (err.code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return 'ha una firma non valida';
  if (err.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && err.reason === 'missing' && (err.claim === 'exp' || err.claim === 'iat'))
    return `non indica ${err.claim === 'exp' ? 'la scadenza (exp)' : "l'emissione (iat)"}: i token devono dire quando sono stati emessi e quando scadono`;
  if (err.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && (err.claim === 'iat' || err.claim === 'nbf'))
    return `ha una data di ${err.claim === 'iat' ? 'emissione (iat)' : 'inizio validità (nbf)'} nel futuro: controllare l'orologio di chi lo emette`;
  return 'non è valido';
}

export interface MintOptions {
  secret: string;
  profile: Role;
  scope?: string;
  subject: string;
  name?: string;
  /** e.g. '8h', '7d'; at most `maxLifetime` */
  expiresIn: string;
  /** Longest lifetime allowed (default 30d): minting a longer one is refused. */
  maxLifetime?: string;
  issuer?: string;
  audience?: string;
}

export async function mintToken(o: MintOptions): Promise<string> {
  const seconds = durationSeconds(o.expiresIn);
  const max = durationSeconds(o.maxLifetime ?? DEFAULT_MAX_LIFETIME)!;
  if (seconds === undefined || seconds > max) throw new Error(`token lifetime "${o.expiresIn}" must be a duration like 30m, 8h, 7d of at most ${o.maxLifetime ?? DEFAULT_MAX_LIFETIME}`);
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
