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
import { ROLES, type Role } from '../security/profiles.ts';

const usage = `uso:
  npm run apikey -- create --name <nome> --profile <${ROLES.join('|')}> [--scope <codice>]
  npm run apikey -- list
  npm run apikey -- revoke <id>`;

function fail(message: string): never {
  return failWith(usage, message);
}
const parsed = parseOrExit(usage, { name: { type: 'string' }, profile: { type: 'string' }, scope: { type: 'string' } }, true);
const [command, id] = parsed.positionals;
const config = loadConfig(process.env);
const store = new ApiKeyStore(loadAuthSettings(process.env, config.dataDir).apiKeysFile);

switch (command) {
  case 'create': {
    const { name, profile, scope } = parsed.values;
    if (!name) fail('--name mancante');
    if (!profile || !(ROLES as readonly string[]).includes(profile)) fail('--profile mancante o non valido');
    const unscoped = profile === 'nazionale' || profile === 'admin';
    if (!unscoped && !scope) fail(`il profilo ${profile} richiede --scope`);
    const { key, entry } = store.create({ name, profile: profile as Role, scope: unscoped ? undefined : scope });
    console.log(`chiave ${entry.id} creata per ${entry.profile}${entry.scope ? ` ${entry.scope}` : ''}. Conservarla ora: non sarà più mostrata.\n${key}`);
    break;
  }
  case 'list':
    for (const k of store.list()) console.log([k.id, k.name, k.profile, k.scope ?? '-', k.created, k.revoked ? `revocata ${k.revoked}` : 'attiva'].join('\t'));
    break;
  case 'revoke':
    if (!id) fail('id mancante');
    if (!store.revoke(id)) fail(`nessuna chiave attiva con id ${id}`);
    console.log(`chiave ${id} revocata`);
    break;
  default:
    fail(command ? `comando sconosciuto: ${command}` : 'comando mancante');
}
