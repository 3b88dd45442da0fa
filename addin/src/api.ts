/** The server's REST API as the pane uses it, with failures turned into messages a person can act on. */
import type { CubeDescription, CubeSummary, MemberPage, PonScheda, QueryAnswer, ReportAnswer, ReportListing } from '../../server/http/schemas.ts';
import type { QuerySpecInput } from '../../server/plan/spec.ts';
import { t, type Lang } from './i18n.ts';

// The answers' types come from the server's response schemas: one contract, checked on both sides.
export type { CubeDescription, CubeSummary, MemberPage, PonCell, PonScheda, ReportListing } from '../../server/http/schemas.ts';

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface Credentials {
  /** A JWT or an API key (pas_…). */
  secret: string;
}

export function authHeaders(c: Credentials): Record<string, string> {
  return c.secret.startsWith('pas_') ? { 'x-api-key': c.secret } : { authorization: `Bearer ${c.secret}` };
}

/** Who the token says the user is (the server checks it; this is only for display). */
export function describeToken(secret: string): { profile: string; scope?: string } | undefined {
  if (secret.startsWith('pas_')) return undefined;
  try {
    const payload = JSON.parse(atob(secret.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return { profile: String(payload.profile), scope: payload.scope ? String(payload.scope) : undefined };
  } catch {
    return undefined;
  }
}

export class Api {
  constructor(
    readonly baseUrl: string,
    private readonly credentials: Credentials,
    private readonly lang: Lang,
    // Called as a plain function: window.fetch refuses to run with another `this`.
    private readonly fetchImpl: typeof fetch = (input, init) => fetch(input, init),
  ) {}

  cubes() {
    return this.get<{ cubes: CubeSummary[] }>('/v1/cubes');
  }
  cube(name: string) {
    return this.get<CubeDescription>(`/v1/cubes/${encodeURIComponent(name)}`);
  }
  members(cube: string, dimension: string, q = '', limit = 50) {
    return this.get<MemberPage>(`/v1/cubes/${encodeURIComponent(cube)}/dimensions/${encodeURIComponent(dimension)}/members?limit=${limit}${q ? `&q=${encodeURIComponent(q)}` : ''}`);
  }
  query(cube: string, spec: QuerySpecInput) {
    return this.request<QueryAnswer>('POST', `/v1/cubes/${encodeURIComponent(cube)}/query`, spec);
  }
  reports() {
    return this.get<{ reports: ReportListing[] }>('/v1/reports');
  }
  report(name: string, body: { territorio?: string; filtri: Record<string, (string | number)[]> }) {
    return this.request<ReportAnswer>('POST', `/v1/reports/${encodeURIComponent(name)}`, body);
  }
  ponScheda(body: { fine_periodo: string; ats?: string }) {
    return this.request<PonScheda>('POST', '/v1/pon/avviso3/scheda', body);
  }

  private get<T>(path: string) {
    return this.request<T>('GET', path);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await this.fetchImpl(this.baseUrl + path, {
        method,
        headers: { ...authHeaders(this.credentials), ...(body ? { 'content-type': 'application/json' } : {}), accept: 'application/json' },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch {
      throw new ApiError(0, t(this.lang, 'errDown'));
    }
    if (res.ok) return (await res.json()) as T;
    let detail = res.statusText;
    try {
      detail = ((await res.json()) as { detail?: string }).detail ?? detail;
    } catch {
      /* not problem+json */
    }
    if (res.status === 401) throw new ApiError(401, t(this.lang, 'errExpired'));
    if (res.status === 403) throw new ApiError(403, t(this.lang, 'errForbidden', { detail }));
    if (res.status === 413 || /troppo grande|too large|limit/i.test(detail)) throw new ApiError(res.status, t(this.lang, 'errTooLarge'));
    if (res.status >= 500) throw new ApiError(res.status, t(this.lang, 'errDown'));
    throw new ApiError(res.status, t(this.lang, 'errGeneric', { detail }));
  }
}
