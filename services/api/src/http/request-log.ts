import type { Logger } from '@shared/logger/logger';
import { requestPathOf, type ApiResponse, type DoneStep } from './every-request';
import { subjectBindings } from './principal';
import { redactUrl } from './redact-url';
import { requestIdOf } from './request-id';

/** A request slower than this is logged whatever its status. */
export const SLOW_REQUEST_MS = 1_000;

export type RequestLogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * The level of a finished request's line:
 * - 5xx: error (a bug, or a dependency failing in a way we did not foresee), except
 *   503 at warn — a dependency is down, which readiness probes repeat every few seconds;
 * - 4xx and slow requests: info, so the default level shows every refusal and every slow answer;
 * - the rest (successful reads above all): debug.
 */
export function requestLogLevel(status: number, elapsedMs: number): RequestLogLevel {
  if (status === 503) return 'warn';
  if (status >= 500) return 'error';
  if (status >= 400 || elapsedMs > SLOW_REQUEST_MS) return 'info';
  return 'debug';
}

export interface RequestFailure {
  error: unknown;
  /** The status and error code the client was (or, once headers were sent, would have been) given. */
  status: number;
  code: string;
}

/** What the error handler answered with, for this request's log line. */
export function noteRequestFailure(res: Pick<ApiResponse, 'locals'>, failure: RequestFailure): void {
  res.locals.requestFailure = failure;
}

/**
 * One line per request, written when the response is done, in pino-http's shape (`req.id`,
 * `res.statusCode`, `responseTime`) so log queries keep working. Nothing is built for a
 * request whose line the level leaves out: no child logger, no serialized request — on a
 * cached read that work cost more than the read itself. `quietPaths` (probes and scrapes,
 * requested every few seconds) log their successes at trace only.
 */
export function requestLog(logger: Logger, options: { quietPaths?: readonly string[] } = {}): DoneStep {
  const quiet = new Set(options.quietPaths ?? []);
  return (res, elapsedMs) => {
    let level = res.writableFinished ? requestLogLevel(res.statusCode, elapsedMs) : 'info';
    // At the default level a successful read stops here, having built nothing.
    if (!logger.isLevelEnabled(level)) return;
    if (level === 'debug' && quiet.has(requestPathOf(res.req))) {
      level = 'trace';
      if (!logger.isLevelEnabled(level)) return;
    }
    logger[level](lineOf(res, elapsedMs), !res.writableFinished ? 'request aborted' : res.locals.requestFailure ? 'request errored' : 'request completed');
  };
}

function lineOf(res: ApiResponse, elapsedMs: number): object {
  const req = res.req;
  const failure = res.locals.requestFailure as RequestFailure | undefined;
  return {
    // The URL as sent, but never a credential a client put in its query (redact-url.ts).
    req: { id: requestIdOf(res), method: req.method, url: redactUrl(req.originalUrl ?? req.url ?? '/') },
    res: { statusCode: res.statusCode },
    responseTime: Math.round(elapsedMs * 10) / 10,
    ...subjectBindings(res),
    ...(res.locals.tokenRefused ? { tokenRefused: res.locals.tokenRefused as string } : {}),
    ...(failure ? (failure.status >= 500 ? { err: failure.error } : { errorCode: failure.code }) : {}),
  };
}
