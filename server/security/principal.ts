/** Who is asking. Authentication (tokens, API keys) produces one of these; the query path only reads it. */
export type Profile = 'nazionale' | 'regionale' | 'ats' | 'comunale' | 'ente';

export interface Principal {
  readonly id: string;
  readonly profile: Profile;
  /** Territory (regione / ATS / comune code) or ente code the profile is bound to; absent for nazionale. */
  readonly scope?: string;
}

/** The caller of a deployment without authentication configured: the whole country. */
export const NATIONAL: Principal = Object.freeze({ id: 'anonimo', profile: 'nazionale' });
