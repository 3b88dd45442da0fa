/**
 * Engine limits: the ClickHouse settings every data-path query carries, and the
 * translation of the engine's refusals (over time, memory, rows; engine down)
 * into errors a person can act on. Measured with chdb 3.4 through
 * @clickhouse/client: each setting below is honoured by the embedded engine
 * (codes 159, 241, 396, 158) and by a ClickHouse server alike.
 */
import { AppError } from '../errors.ts';

export interface EngineLimits {
  /** Seconds a query may run before the engine stops it (`max_execution_time`). */
  maxExecutionTime: number;
  /** Bytes of memory one query may use in the engine (`max_memory_usage`). */
  maxMemoryUsage: number;
  /** Rows the engine may return for one query (`max_result_rows`, overflow = throw). */
  maxResultRows: number;
  /** Distinct groups one GROUP BY may build (`max_rows_to_group_by`, overflow = throw). */
  maxRowsToGroupBy: number;
  /** Answers estimated larger than this (rows, totals included) are refused before they run. */
  maxEstimatedRows: number;
}

export const DEFAULT_LIMITS: EngineLimits = {
  maxExecutionTime: 60,
  maxMemoryUsage: 2 * 1024 ** 3,
  maxResultRows: 500_000,
  maxRowsToGroupBy: 2_000_000,
  maxEstimatedRows: 1_000_000,
};

/** Bytes a GROUP BY may use before it goes on in temporary files instead of failing: half the memory limit (0: never spills). */
export function groupByMemoryBeforeSpill(l: Pick<EngineLimits, 'maxMemoryUsage'>): number {
  return Math.floor(l.maxMemoryUsage / 2);
}

/** Settings of a data-path query. */
export function limitSettings(l: EngineLimits): Record<string, number | string> {
  return {
    max_execution_time: l.maxExecutionTime,
    timeout_overflow_mode: 'throw',
    max_memory_usage: l.maxMemoryUsage,
    // The engine does not spill GROUPING SETS (measured with chdb 3.4): totals and subtotals stay in memory.
    max_bytes_before_external_group_by: groupByMemoryBeforeSpill(l),
    max_result_rows: l.maxResultRows,
    result_overflow_mode: 'throw',
    max_rows_to_group_by: l.maxRowsToGroupBy,
    group_by_overflow_mode: 'throw',
  };
}

/**
 * Settings of every other statement (loads, DDL, reference reads): no limit.
 * Sent explicitly because the embedded engine applies settings with SET on its
 * one session, where they would otherwise outlive the query that set them
 * (measured: a limit set for one query was still in force for the next).
 */
export const UNLIMITED: Record<string, number | string> = limitSettings({ maxExecutionTime: 0, maxMemoryUsage: 0, maxResultRows: 0, maxRowsToGroupBy: 0, maxEstimatedRows: 0 });

const TIMEOUT = new Set([159 /* TIMEOUT_EXCEEDED */, 160 /* TOO_SLOW */]);
const TOO_BIG = new Set([158 /* TOO_MANY_ROWS */, 396 /* TOO_MANY_ROWS_OR_BYTES */, 241 /* MEMORY_LIMIT_EXCEEDED */]);
/** The engine itself is gone or unusable: worth retrying later, not the query's fault. */
const DOWN = new Set([209 /* SOCKET_TIMEOUT */, 210 /* NETWORK_ERROR */, 236 /* ABORTED */, 394 /* QUERY_WAS_CANCELLED */]);

/** Seconds a client should wait before retrying when the engine is unavailable. */
export const ENGINE_RETRY_AFTER = 5;

export function engineCode(err: unknown): number | undefined {
  const code = Number((err as { code?: unknown }).code);
  return Number.isInteger(code) && code > 0 ? code : undefined;
}

/**
 * The engine's failure as an AppError, or undefined when it is an ordinary
 * query error (the caller words that one). Errors without a ClickHouse code
 * (connection refused, reset, a closed or crashed embedded session) mean the
 * engine is unavailable: 503, retry later.
 */
export function limitError(err: unknown, limits: EngineLimits): AppError | undefined {
  if (err instanceof AppError) return err;
  const code = engineCode(err);
  if (code !== undefined && TIMEOUT.has(code))
    return new AppError('QUERY_TIMEOUT', `La query ha superato il tempo massimo di ${limits.maxExecutionTime} s ed è stata interrotta dal motore. Restringere la query: filtri su anno o territorio, meno dimensioni, totali e subtotali solo se servono.`, { limit: 'max_execution_time', seconds: limits.maxExecutionTime });
  if (code !== undefined && TOO_BIG.has(code)) {
    const what = code === 241 ? `più memoria del massimo consentito (${Math.round(limits.maxMemoryUsage / 1024 ** 2)} MB)` : code === 158 ? `più di ${limits.maxRowsToGroupBy.toLocaleString('it-IT')} gruppi` : `più di ${limits.maxResultRows.toLocaleString('it-IT')} righe`;
    return new AppError('QUERY_TOO_LARGE', `La query richiederebbe ${what} ed è stata interrotta dal motore. Restringere la query: filtri su anno o territorio, meno dimensioni (soprattutto comune e codice prestazione), totali e subtotali solo se servono.`, { limit: code === 241 ? 'max_memory_usage' : code === 158 ? 'max_rows_to_group_by' : 'max_result_rows' });
  }
  return unavailableError(err);
}

/** The engine is gone or unusable (no ClickHouse error code, or a network / abort code): 503, retry later. */
export function unavailableError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  const code = engineCode(err);
  if (code !== undefined && !DOWN.has(code)) return undefined;
  const first = String((err as Error)?.message ?? err).split('\n')[0];
  return new AppError('ENGINE_UNAVAILABLE', `Il motore di calcolo non è raggiungibile o non risponde (${first}). Riprovare tra qualche secondo; se persiste, avvisare l'amministratore.`, { retryAfter: ENGINE_RETRY_AFTER });
}
