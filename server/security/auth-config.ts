/** Authentication settings from the environment (zod-validated), and the verifier / key store they describe. */
import { join } from 'node:path';
import { z } from 'zod';
import { ApiKeyStore } from './api-keys.ts';
import { createVerifier, DEFAULT_MAX_LIFETIME, demoSecret, durationSeconds, type TokenConfig, type Verifier } from './tokens.ts';

const AuthEnv = z.object({
  JWT_SECRET: z.string().min(32, 'JWT_SECRET must be at least 32 characters').optional(),
  JWT_PUBLIC_KEY_FILE: z.string().optional(),
  JWT_JWKS_FILE: z.string().optional(),
  JWT_ALGORITHM: z.enum(['RS256', 'ES256', 'PS256']).optional(),
  JWT_ISSUER: z.string().optional(),
  JWT_AUDIENCE: z.string().optional(),
  API_KEYS_FILE: z.string().optional(),
  TOKEN_MAX_LIFETIME: z
    .string()
    .refine((v) => durationSeconds(v) !== undefined, 'TOKEN_MAX_LIFETIME must be a duration like 12h or 30d')
    .default(DEFAULT_MAX_LIFETIME),
  DISCLOSURE_NATIONAL_EXEMPT: z.enum(['true', 'false']).default('false'),
  CELL_KEY_SECRET: z.string().min(32, 'CELL_KEY_SECRET must be at least 32 characters').optional(),
});

export interface AuthSettings {
  tokens: TokenConfig;
  /** True when tokens are signed with the secret generated into the data directory (demo). */
  demoSecret: boolean;
  apiKeysFile: string;
  /** Longest token lifetime accepted and minted, e.g. '30d'. */
  tokenMaxLifetime: string;
  nationalExemptFromDisclosure: boolean;
  /** Secret of the cell key method's record keys: CELL_KEY_SECRET, else generated once into the data directory (a reload keeps the keys). */
  cellKeySecret: string;
}

export function loadAuthSettings(env: NodeJS.ProcessEnv, dataDir: string): AuthSettings {
  const parsed = AuthEnv.safeParse(env);
  if (!parsed.success) throw new Error(`configurazione di autenticazione non valida: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const e = parsed.data;
  const external = Boolean(e.JWT_PUBLIC_KEY_FILE || e.JWT_JWKS_FILE);
  const secret = e.JWT_SECRET ?? (external ? undefined : demoSecret(join(dataDir, 'jwt-secret')));
  return {
    tokens: { secret, publicKeyFile: e.JWT_PUBLIC_KEY_FILE, jwksFile: e.JWT_JWKS_FILE, algorithm: e.JWT_ALGORITHM, issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE, maxLifetimeSeconds: durationSeconds(e.TOKEN_MAX_LIFETIME) },
    tokenMaxLifetime: e.TOKEN_MAX_LIFETIME,
    demoSecret: !e.JWT_SECRET && !external,
    apiKeysFile: e.API_KEYS_FILE ?? join(dataDir, 'api-keys.json'),
    nationalExemptFromDisclosure: e.DISCLOSURE_NATIONAL_EXEMPT === 'true',
    cellKeySecret: e.CELL_KEY_SECRET ?? demoSecret(join(dataDir, 'cell-key-secret')),
  };
}

export async function authenticatorFor(settings: AuthSettings): Promise<{ verify: Verifier; apiKeys: ApiKeyStore }> {
  return { verify: await createVerifier(settings.tokens), apiKeys: new ApiKeyStore(settings.apiKeysFile) };
}
