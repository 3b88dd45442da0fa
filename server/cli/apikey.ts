/**
 * `npm run apikey -- create --name script-istat --profile regionale --scope 12`
 * `npm run apikey -- list` · `npm run apikey -- revoke <id>`
 * Keys are stored hashed in API_KEYS_FILE (default DATA_DIR/api-keys.json);
 * a running server picks changes up at the next request.
 */
import { loadConfig } from '../config.ts';
import { fail as failWith, parseOrExit } from './args.ts';
import { ApiKeyStore } from '../security/api-keys.ts';
import { loadAuthSettings } from '../security/auth-config.ts';
import { needsScope, ROLES, type Role } from '../security/profiles.ts';
import { durationSeconds } from '../security/tokens.ts';

const usage = `uso:
  npm run apikey -- create --name <nome> --profile <${ROLES.join('|')}> [--scope <codice>] [--expires 2027-06-30 | 365d]
  npm run apikey -- list
  npm run apikey -- revoke <id>`;

function fail(message: string): never {
  return failWith(usage, message);
}

/** --expires: a date (2027-06-30, end of that day UTC) or a duration from now (365d, 12h). */
function expiryOf(text: string): Date {
  const seconds = durationSeconds(text);
  if (seconds !== undefined) return new Date(Date.now() + seconds * 1000);
  if (/^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(Date.parse(text))) {
    const end = new Date(`${text}T23:59:59.999Z`);
    if (end.getTime() > Date.now()) return end;
    fail(`--expires ${text} è già passata`);
  }
  return fail(`--expires deve essere una data (AAAA-MM-GG) o una durata (es. 365d, 12h), non "${text}"`);
}
const parsed = parseOrExit(usage, { name: { type: 'string' }, profile: { type: 'string' }, scope: { type: 'string' }, expires: { type: 'string' } }, true);
const [command, id] = parsed.positionals;
const config = loadConfig(process.env);
const store = new ApiKeyStore(loadAuthSettings(process.env, config.dataDir).apiKeysFile);

switch (command) {
  case 'create': {
    const { name, profile, scope, expires } = parsed.values;
    if (!name) fail('--name mancante');
    if (!profile || !(ROLES as readonly string[]).includes(profile)) fail('--profile mancante o non valido');
    const unscoped = !needsScope(profile as Role);
    if (!unscoped && !scope) fail(`il profilo ${profile} richiede --scope`);
    if (unscoped && scope) fail(`il profilo ${profile} non ha ambito: togliere --scope`);
    const until = expires === undefined ? undefined : expiryOf(expires);
    const { key, entry } = store.create({ name, profile: profile as Role, scope: unscoped ? undefined : scope, expires: until });
    console.log(`chiave ${entry.id} creata per ${entry.profile}${entry.scope ? ` ${entry.scope}` : ''}${entry.expires ? `, valida fino al ${entry.expires}` : ''}. Conservarla ora: non sarà più mostrata.\n${key}`);
    break;
  }
  case 'list':
    for (const k of store.list()) {
      const state = k.revoked ? `revocata ${k.revoked}` : k.expires && Date.parse(k.expires) <= Date.now() ? `scaduta ${k.expires}` : 'attiva';
      console.log([k.id, k.name, k.profile, k.scope ?? '-', k.created, k.expires ?? 'senza scadenza', state].join('\t'));
    }
    break;
  case 'revoke':
    if (!id) fail('id mancante');
    if (!store.revoke(id)) fail(`nessuna chiave attiva con id ${id}`);
    console.log(`chiave ${id} revocata`);
    break;
  default:
    fail(command ? `comando sconosciuto: ${command}` : 'comando mancante');
}
