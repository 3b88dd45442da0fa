/**
 * Every error a user can get, in one table: code, HTTP status, title and what
 * it means and what to do (served as the documentation page at ERRORS_PATH,
 * which each problem's `type` points to). Thrown as `AppError` anywhere; the
 * HTTP layer turns it into application/problem+json.
 */
export const ERRORS = {
  INVALID_REQUEST: { status: 400, title: 'Richiesta non valida', doc: 'Il corpo, i parametri o la query string non rispettano lo schema dell\'operazione (vedi /docs). Il campo `issues` elenca ogni errore con il suo percorso.' },
  UNKNOWN_CUBE: { status: 404, title: 'Cubo inesistente', doc: 'Il nome del cubo non esiste. GET /v1/cubes elenca i cubi che il profilo può aprire.' },
  UNKNOWN_DIMENSION: { status: 400, title: 'Dimensione inesistente', doc: 'La dimensione (o il filtro di un report) non esiste nel cubo. GET /v1/cubes/{cubo} elenca dimensioni e misure.' },
  UNKNOWN_MEASURE: { status: 400, title: 'Misura inesistente', doc: 'La misura non esiste nel cubo. GET /v1/cubes/{cubo} elenca le misure con la loro definizione.' },
  UNKNOWN_MEMBER: { status: 400, title: 'Valore inesistente per la dimensione', doc: 'Il valore non è un membro della dimensione (o il territorio/ente indicato non esiste). /v1/cubes/{cubo}/dimensions/{dimensione}/members cerca i valori.' },
  INVALID_MEMBER: { status: 400, title: 'Valore di tipo errato per la dimensione', doc: 'La dimensione ha chiavi intere e il valore non lo è (o viceversa).' },
  NOT_ORDERED: { status: 400, title: 'Operatore di intervallo su una dimensione non ordinata', doc: 'gte, lte e between valgono solo sulle dimensioni ordinate (anno, fasce); per le altre usare eq, in o not_in.' },
  DUPLICATE_DIMENSION: { status: 400, title: 'Dimensione usata due volte', doc: 'Una dimensione può stare una sola volta tra righe e colonne.' },
  INVALID_ORDER: { status: 400, title: 'Ordinamento non valido', doc: 'Si ordina per una misura richiesta o per una dimensione della query.' },
  UNAUTHORIZED: { status: 401, title: 'Autenticazione richiesta', doc: 'Manca il token (Authorization: Bearer …) o la chiave API (X-API-Key), oppure è scaduto o non valido. Chiederne uno nuovo all\'amministratore.' },
  FORBIDDEN_SCOPE: { status: 403, title: "Fuori dall'ambito del profilo", doc: 'La richiesta riguarda territori o enti fuori dall\'ambito del profilo. Togliere il filtro o restringerlo al proprio territorio.' },
  FORBIDDEN_ROLE: { status: 403, title: 'Operazione non consentita al ruolo', doc: 'L\'operazione è riservata a un altro ruolo (per esempio l\'amministrazione al ruolo admin).' },
  FORBIDDEN_CUBE: { status: 403, title: 'Cubo non accessibile al profilo', doc: 'Il cubo o il report è di un livello che il profilo non apre. GET /v1/cubes e GET /v1/reports elencano quelli accessibili.' },
  NOT_ACCEPTABLE: { status: 406, title: 'Formato di risposta non disponibile', doc: 'Il formato chiesto con ?format= o con l\'header Accept non è offerto da questa operazione: il messaggio elenca quelli disponibili (JSON, CSV, XLSX).' },
  NOT_FOUND: { status: 404, title: 'Risorsa inesistente', doc: 'L\'indirizzo, il report, la cella o il caricamento non esiste. L\'elenco delle API è in /docs.' },
  TABLE_NOT_READY: { status: 409, title: 'Tabella non pronta: eseguire npm run schema', doc: 'Il cubo è dichiarato ma la sua tabella non è ancora stata creata: l\'amministratore esegue npm run schema (o POST /v1/admin/schema) e carica i dati.' },
  SCHEMA_REFUSED: { status: 409, title: 'Migrazione rifiutata: cambierebbe o cancellerebbe dati', doc: 'La modifica dei file dei cubi cambierebbe il tipo di una colonna o cancellerebbe dati: non è stato applicato nulla. Il messaggio dice quali colonne.' },
  LOAD_REJECTED: { status: 422, title: 'Caricamento rifiutato: righe non valide', doc: 'Il file ha righe non valide, è rotto (riga indicata), è arrivato diverso da quello dichiarato (expect_rows, sha256, Content-Digest) o contraddice le altre tabelle: il resoconto (`load.refusal`, `load.rejects`) dice perché; nulla è stato caricato.' },
  LOAD_SHRINK: { status: 409, title: 'Caricamento rifiutato: sostituirebbe un lotto con molte meno righe', doc: 'Il file sostituirebbe un lotto (un anno, una tabella intera) con meno della quota configurata (LOAD_SHRINK_SHARE, 80 %) delle sue righe: il messaggio dà i due conteggi. Se la riduzione è voluta, ripetere con allow_shrink=true (--allow-shrink); nulla è stato caricato.' },
  LOAD_NO_SPACE: { status: 507, title: 'Caricamento rifiutato: spazio su disco insufficiente', doc: 'Lo spazio libero non basta per il file e la sua copia di appoggio (controllato prima di iniziare) o si è esaurito durante il caricamento: i dati precedenti sono intatti e lo spazio del caricamento è già libero. Liberare spazio e riprovare.' },
  LOAD_FAILED: { status: 500, title: 'Caricamento non riuscito, dati precedenti intatti', doc: 'Il caricamento si è interrotto: i dati precedenti sono intatti. Riprovare; se si ripete, il giornale dei caricamenti dice dove.' },
  ENGINE_ERROR: { status: 502, title: 'Errore del motore di calcolo', doc: 'Il motore ClickHouse non ha potuto eseguire la query. Riprovare; se si ripete, comunicare all\'amministratore il requestId.' },
  QUERY_TOO_LARGE: { status: 413, title: 'Query troppo grande: restringerla', doc: "La risposta sarebbe troppo grande: rifiutata prima di eseguirla (stima dai membri delle dimensioni per i livelli di totali e subtotali) o interrotta dal motore (memoria, righe, gruppi). Il messaggio dice le dimensioni più numerose: filtrare per anno o territorio, togliere dimensioni, chiedere totali e subtotali solo se servono." },
  QUERY_TIMEOUT: { status: 504, title: 'Query interrotta: tempo massimo superato', doc: "Il motore ha interrotto la query al tempo massimo (QUERY_MAX_EXECUTION_TIME). Restringere la query: filtri su anno o territorio, meno dimensioni." },
  ENGINE_BUSY: { status: 503, title: 'Motore occupato: riprovare più tardi', doc: "La coda delle query è piena, l'utente ha già troppe query in attesa o l'attesa ha superato il massimo. Riprovare dopo i secondi indicati da Retry-After; le query piccole passano prima." },
  ENGINE_UNAVAILABLE: { status: 503, title: 'Motore di calcolo non disponibile', doc: "Il motore ClickHouse non è raggiungibile o non risponde. Riprovare dopo i secondi indicati da Retry-After; se persiste, avvisare l'amministratore." },
  RATE_LIMITED: { status: 429, title: 'Troppe richieste', doc: "Troppe richieste dallo stesso indirizzo o utente, o troppe autenticazioni fallite dallo stesso indirizzo, nella finestra di tempo. Riprovare dopo i secondi indicati da Retry-After." },
  RESPONSE_CONTRACT: { status: 500, title: 'Risposta non conforme allo schema pubblicato', doc: 'Il server stava per inviare una risposta diversa da quella documentata in /openapi.json e l\'ha fermata. È un difetto del server: comunicare all\'amministratore il requestId.' },
  INTERNAL: { status: 500, title: 'Errore interno', doc: 'Errore imprevisto del server, registrato con il requestId della risposta: comunicarlo all\'amministratore.' },
} as const satisfies Record<string, { status: number; title: string; doc: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** Where the table of errors is served; a problem's `type` is this path with the code as fragment. */
export const ERRORS_PATH = '/errors';
export const errorType = (code: ErrorCode): string => `${ERRORS_PATH}#${code}`;

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

/**
 * A broken internal invariant: a defect of the server, not a mistake of the
 * user. It reaches the client as INTERNAL with the generic message (the text,
 * for whoever fixes it, goes only to the log).
 */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AppError('INTERNAL', message);
}

/** True when the error's text is for the log, not for the user: anything but an AppError, or an INTERNAL one (a broken invariant). */
export const isInternal = (err: unknown): boolean => !(err instanceof AppError) || err.code === 'INTERNAL';
