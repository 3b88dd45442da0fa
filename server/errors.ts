/**
 * Every error a user can get, in one table: code, HTTP status, title. Thrown as
 * `AppError` anywhere; the HTTP layer turns it into application/problem+json.
 */
export const ERRORS = {
  INVALID_REQUEST: { status: 400, title: 'Richiesta non valida' },
  UNKNOWN_CUBE: { status: 404, title: 'Cubo inesistente' },
  UNKNOWN_DIMENSION: { status: 400, title: 'Dimensione inesistente' },
  UNKNOWN_MEASURE: { status: 400, title: 'Misura inesistente' },
  UNKNOWN_MEMBER: { status: 400, title: 'Valore inesistente per la dimensione' },
  INVALID_MEMBER: { status: 400, title: 'Valore di tipo errato per la dimensione' },
  NOT_ORDERED: { status: 400, title: 'Operatore di intervallo su una dimensione non ordinata' },
  DUPLICATE_DIMENSION: { status: 400, title: 'Dimensione usata due volte' },
  INVALID_ORDER: { status: 400, title: 'Ordinamento non valido' },
  UNAUTHORIZED: { status: 401, title: 'Autenticazione richiesta' },
  FORBIDDEN_SCOPE: { status: 403, title: "Fuori dall'ambito del profilo" },
  FORBIDDEN_ROLE: { status: 403, title: 'Operazione non consentita al ruolo' },
  FORBIDDEN_CUBE: { status: 403, title: 'Cubo non accessibile al profilo' },
  NOT_ACCEPTABLE: { status: 406, title: 'Formato di risposta non disponibile' },
  NOT_FOUND: { status: 404, title: 'Risorsa inesistente' },
  TABLE_NOT_READY: { status: 409, title: 'Tabella non pronta: eseguire npm run schema' },
  SCHEMA_REFUSED: { status: 409, title: 'Migrazione rifiutata: cambierebbe o cancellerebbe dati' },
  LOAD_REJECTED: { status: 422, title: 'Caricamento rifiutato: righe non valide' },
  LOAD_FAILED: { status: 500, title: 'Caricamento non riuscito, dati precedenti intatti' },
  ENGINE_ERROR: { status: 502, title: 'Errore del motore di calcolo' },
  QUERY_TOO_LARGE: { status: 413, title: 'Query troppo grande: restringerla' },
  QUERY_TIMEOUT: { status: 504, title: 'Query interrotta: tempo massimo superato' },
  ENGINE_BUSY: { status: 503, title: 'Motore occupato: riprovare più tardi' },
  ENGINE_UNAVAILABLE: { status: 503, title: 'Motore di calcolo non disponibile' },
  RATE_LIMITED: { status: 429, title: 'Troppe richieste' },
  INTERNAL: { status: 500, title: 'Errore interno' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERRORS;

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    /** What went wrong and what to do about it, for a person. */
    readonly detail: string,
    /** Machine-readable extras (e.g. the allowed values). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'AppError';
    this.status = ERRORS[code].status;
  }
}
