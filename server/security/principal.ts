/** Who is asking. Authentication (tokens, API keys) produces one of these; the query path only reads it. */
import { AppError } from '../errors.ts';
import type { Profile, Role } from './profiles.ts';

export type { Profile, Role };

export interface Principal {
  readonly id: string;
  readonly profile: Profile;
  /** Territory (regione / ATS / comune code) or ente code the profile is bound to; absent for nazionale. */
  readonly scope?: string;
}

/** The caller of a deployment without authentication configured: the whole country. */
export const NATIONAL: Principal = Object.freeze({ id: 'anonimo', profile: 'nazionale' });

/** The administrator: adds cubes, migrates tables, loads data. A role apart: it reads no data and the scope code never sees it. */
export interface Admin {
  readonly id: string;
  readonly role: 'admin';
}

/** Whoever presented valid credentials: a data profile or the administrator. */
export type Caller = Principal | Admin;


export const isAdmin = (caller: Caller): caller is Admin => 'role' in caller && caller.role === 'admin';

/** The administrator, or a refusal: administration is kept apart from reading data. */
export function requireAdmin(caller: Caller | undefined): Admin {
  if (!caller || !isAdmin(caller))
    throw new AppError('FORBIDDEN_ROLE', caller ? `Le operazioni di amministrazione (/v1/admin) sono riservate al ruolo admin; il profilo ${caller.profile} consulta i dati.` : 'Operazione riservata al ruolo admin.');
  return caller;
}

/** A data profile, or a refusal: the admin role reads no data. */
export function requireDataProfile(caller: Caller): Principal {
  if (isAdmin(caller))
    throw new AppError('FORBIDDEN_ROLE', "Il ruolo admin amministra cubi e caricamenti e non consulta i dati: per interrogare i cubi usare un token di un profilo (es. npm run token -- --profile nazionale).");
  return caller;
}
