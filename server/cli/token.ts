/**
 * `npm run token -- --profile ats --scope ATS05007 [--sub mario.rossi] [--expires 8h]
  --expires durata del token (default 8h; al massimo TOKEN_MAX_LIFETIME, default 30d)`
 * Mints a token signed with JWT_SECRET (or the demo secret in DATA_DIR).
 */
import { loadConfig } from '../config.ts';
import { parseOrExit } from './args.ts';
import { loadAuthSettings } from '../security/auth-config.ts';
import { needsScope, ROLES, type Role } from '../security/profiles.ts';
import { durationSeconds, mintToken } from '../security/tokens.ts';

const usage = `uso: npm run token -- --profile <${ROLES.join('|')}> [--scope <codice>] [--sub <utente>] [--expires 8h]
  --scope   codice della regione (es. 12), dell'ATS (es. ATS12003), del comune ISTAT (es. 058091) o dell'ente (es. C058091); non per nazionale e admin
  admin     il ruolo che amministra cubi e caricamenti (/v1/admin); non consulta i dati`;

const { values } = parseOrExit(usage, { profile: { type: 'string' }, scope: { type: 'string' }, sub: { type: 'string' }, expires: { type: 'string', default: '8h' } });
const profile = values.profile as Role | undefined;
if (!profile || !(ROLES as readonly string[]).includes(profile)) {
  console.error(`--profile mancante o non valido.\n${usage}`);
  process.exit(2);
}
const unscoped = !needsScope(profile);
if (unscoped && values.scope) {
  console.error(`il profilo ${profile} non ha ambito: togliere --scope.\n${usage}`);
  process.exit(2);
}
if (!unscoped && !values.scope) {
  console.error(`il profilo ${profile} richiede --scope.\n${usage}`);
  process.exit(2);
}
const config = loadConfig(process.env);
const settings = loadAuthSettings(process.env, config.dataDir);
const seconds = durationSeconds(values.expires!);
if (seconds === undefined || seconds > durationSeconds(settings.tokenMaxLifetime)!) {
  console.error(`--expires deve essere una durata come 30m, 8h, 7d, al massimo ${settings.tokenMaxLifetime} (TOKEN_MAX_LIFETIME).\n${usage}`);
  process.exit(2);
}
if (!settings.tokens.secret) {
  console.error('Con JWT_PUBLIC_KEY_FILE / JWT_JWKS_FILE i token li emette il proprio identity provider, non questo comando.');
  process.exit(2);
}
const token = await mintToken({
  secret: settings.tokens.secret,
  profile,
  scope: unscoped ? undefined : values.scope,
  subject: values.sub ?? `${profile}:${values.scope ?? 'italia'}`,
  expiresIn: values.expires!,
  maxLifetime: settings.tokenMaxLifetime,
  issuer: settings.tokens.issuer,
  audience: settings.tokens.audience,
});
console.log(token);
