/**
 * The one declaration of the profiles, their levels and the access matrix;
 * every other list (zod enums of tokens, API keys, cube and report files,
 * the scope rewrite) derives from it. Imports nothing: anything may use it.
 *
 * Profiles are ordered from the top (Nazionale) to the bottom (Ente
 * erogatore); a profile opens the cubes and reports of its own level and of
 * the levels below it, always within its own scope.
 */
import { z } from 'zod';

export const PROFILES = ['nazionale', 'regionale', 'ats', 'comunale', 'ente'] as const;
export type Profile = (typeof PROFILES)[number];
export const ProfileSchema = z.enum(PROFILES);

/** What a token or an API key may carry: a data profile, or `admin`. */
export const ROLES = [...PROFILES, 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const RoleSchema = z.enum(ROLES);

/** Territory levels below Italia, from the top down. */
export const LEVELS = ['regione', 'ats', 'comune'] as const;
export type Level = (typeof LEVELS)[number];

/** The territorial profiles (ottica di bisogno) and the level of the territory their scope names. */
export const PROFILE_LEVEL = { regionale: 'regione', ats: 'ats', comunale: 'comune' } as const satisfies Record<string, Level>;
export type TerritorialProfile = keyof typeof PROFILE_LEVEL;
export const isTerritorial = (profile: Profile): profile is TerritorialProfile => profile in PROFILE_LEVEL;

/** Roles whose principal carries no scope: the whole country, or no data at all. */
export const UNSCOPED: readonly Role[] = ['nazionale', 'admin'];
export const needsScope = (role: Role): boolean => !UNSCOPED.includes(role);

export function mayOpenLevel(profile: Profile, level: Profile): boolean {
  return PROFILES.indexOf(profile) <= PROFILES.indexOf(level);
}
