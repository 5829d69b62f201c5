import { randomBytes } from 'node:crypto';
import type { ApiResponse, ArrivalStep } from './every-request';

/** What a caller may send as X-Request-Id: short, and safe to put in a log line or a header. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * Ids for requests that bring none: a random prefix drawn once per process, then a counter.
 * Unique across processes and restarts (48 random bits per process) without drawing
 * randomness or formatting a UUID per request.
 */
export function requestIdGenerator(): () => string {
  const prefix = randomBytes(6).toString('hex');
  let counter = 0;
  return () => `${prefix}-${(++counter).toString(36)}`;
}

/**
 * Gives every request an id — the caller's X-Request-Id when it is safe, a generated one
 * otherwise — echoes it in the X-Request-Id response header and keeps it in `res.locals`
 * (see every-request.ts for why not on `req`), where the request log and the routes that
 * enqueue jobs (which carry it to the workers) read it.
 */
export function assignRequestId(generate: () => string = requestIdGenerator()): ArrivalStep {
  return (req, res) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : generate();
    res.locals.requestId = id;
    res.setHeader('X-Request-Id', id);
  };
}

/** The id assignRequestId gave this request ('' before it ran). */
export function requestIdOf(res: Pick<ApiResponse, 'locals'>): string {
  return (res.locals.requestId as string | undefined) ?? '';
}
