/** Connection-class failures: PostgreSQL is not there (down, restarting, out of slots). */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '53300', '08006', '08001', '08003', '08004']);
const CONNECTION_MESSAGES = /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED|Client has encountered a connection error/i;

/**
 * Errors that mean "PostgreSQL is not there", as opposed to a bug or bad data: the API
 * answers them with 503, the workers wait them out instead of spending attempts.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null | undefined;
  return (typeof e?.code === 'string' && CONNECTION_CODES.has(e.code)) || (typeof e?.message === 'string' && CONNECTION_MESSAGES.test(e.message));
}
