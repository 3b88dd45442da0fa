/**
 * The seed's access matrix: profiles ordered from the top (Nazionale) to the
 * bottom (Ente erogatore); a profile opens the cubes and reports of its own
 * level and of the levels below it, always within its own scope.
 */
import type { Profile } from './principal.ts';

export const LEVEL_ORDER: readonly Profile[] = ['nazionale', 'regionale', 'ats', 'comunale', 'ente'];

export function mayOpenLevel(profile: Profile, level: Profile): boolean {
  return LEVEL_ORDER.indexOf(profile) <= LEVEL_ORDER.indexOf(level);
}
