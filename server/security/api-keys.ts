/**
 * API keys for scripts: random 32-byte keys shown once, stored only as their
 * SHA-256 in a JSON file (outside the engine, so the command line can manage
 * keys while the server runs; the server re-reads the file when it changes).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { Caller } from './principal.ts';
import { needsScope, RoleSchema, type Role } from './profiles.ts';

const StoredKey = z.object({
  id: z.string(),
  name: z.string(),
  profile: RoleSchema,
  scope: z.string().optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  created: z.string(),
  revoked: z.string().optional(),
  /** ISO instant after which the key is refused. */
  expires: z.string().optional(),
});
export type StoredKey = z.infer<typeof StoredKey>;
const StoreFile = z.object({ keys: z.array(StoredKey) });

const PREFIX = 'pas_';
const hash = (key: string) => createHash('sha256').update(key).digest('hex');

export class ApiKeyStore {
  private cache: { mtimeMs: number; keys: StoredKey[] } | undefined;

  constructor(readonly file: string) {}

  list(): StoredKey[] {
    if (!existsSync(this.file)) return [];
    const mtimeMs = statSync(this.file).mtimeMs;
    if (this.cache?.mtimeMs !== mtimeMs) this.cache = { mtimeMs, keys: StoreFile.parse(JSON.parse(readFileSync(this.file, 'utf8'))).keys };
    return this.cache.keys;
  }

  /** Creates a key and returns it in clear: the only time it is visible. */
  create(o: { name: string; profile: Role; scope?: string; expires?: Date }): { key: string; entry: StoredKey } {
    const key = PREFIX + randomBytes(32).toString('base64url');
    const entry: StoredKey = {
      id: randomBytes(6).toString('hex'),
      name: o.name,
      profile: o.profile,
      ...(o.scope ? { scope: o.scope } : {}),
      sha256: hash(key),
      created: new Date().toISOString(),
      ...(o.expires ? { expires: o.expires.toISOString() } : {}),
    };
    this.save([...this.list(), entry]);
    return { key, entry };
  }

  revoke(id: string): boolean {
    const keys = this.list();
    const found = keys.find((k) => k.id === id && !k.revoked);
    if (!found) return false;
    this.save(keys.map((k) => (k.id === id ? { ...k, revoked: new Date().toISOString() } : k)));
    return true;
  }

  /** The principal of a presented key, or undefined (unknown, revoked or expired). Compares hashes in constant time. */
  authenticate(key: string, now = new Date()): Caller | undefined {
    if (!key.startsWith(PREFIX)) return undefined;
    const presented = Buffer.from(hash(key), 'hex');
    const match = this.list().find((k) => !k.revoked && timingSafeEqual(Buffer.from(k.sha256, 'hex'), presented));
    if (!match || (match.expires && Date.parse(match.expires) <= now.getTime())) return undefined;
    const id = `apikey:${match.id}:${match.name}`;
    if (match.profile === 'admin') return { id, role: 'admin' };
    return { id, profile: match.profile, ...(needsScope(match.profile) ? { scope: match.scope } : {}) };
  }

  private save(keys: StoredKey[]): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ keys }, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, this.file); // atomic: the server never reads a half-written file
    this.cache = undefined;
  }
}
