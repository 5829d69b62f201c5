import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';

/**
 * A request as the every-request steps see it: Node's own, or Express's (which adds
 * `originalUrl`, and `route` once a route matched). The analytics reads are served before
 * Express (read-route-table.ts), so a step relies on nothing Express adds without a fallback.
 */
export type ApiRequest = IncomingMessage & { originalUrl?: string };

/** A response with `res.locals`, where per-request state lives (Express's, or set as Express sets it). */
export type ApiResponse = ServerResponse<ApiRequest> & { locals: Record<string, unknown> };

/** Work every request does as it arrives (a header, an id): synchronous, and it cannot fail. */
export type ArrivalStep = (req: ApiRequest, res: ApiResponse) => void;

/** Work every request does once its response is done or abandoned (a log line, a latency), given how long it took. */
export type DoneStep = (res: ApiResponse, elapsedMs: number) => void;

export interface RequestLifecycle {
  /** Runs the arrival steps now and the done steps when the response is done; `res.locals` must exist. */
  begin(req: ApiRequest, res: ApiResponse): void;
  /** The same, as the first middleware of an Express app. */
  middleware: RequestHandler;
}

/**
 * The steps every request takes, whichever way it is served, with one listener. Express
 * dispatches each app.use layer separately (a path match and a call through its `next`), and
 * each listener is an event registration per request: four middlewares with a listener each
 * cost /health/live about a quarter of a bare route's time, as much as their own work.
 *
 * 'close' comes once per response: after 'finish', or when the client went away first
 * (`res.writableFinished` tells which). The listener is one function shared by all
 * requests; the start time it needs waits in `res.locals`.
 *
 * Per-request state lives in `res.locals`, never in a new property of `req` or `res`: a
 * property Node's own request and response objects do not have gives them another hidden
 * class, and Node's HTTP code then runs slower on every request (measured: 5–7 µs per
 * request, as much as all of this middleware's own work).
 */
export function everyRequest(steps: { onArrival: readonly ArrivalStep[]; onDone: readonly DoneStep[] }): RequestLifecycle {
  const { onArrival, onDone } = steps;
  function done(this: ApiResponse) {
    const elapsedMs = performance.now() - (this.locals.requestStartedAt as number);
    for (const step of onDone) step(this, elapsedMs);
  }
  const begin = (req: ApiRequest, res: ApiResponse) => {
    res.locals.requestStartedAt = performance.now();
    for (const step of onArrival) step(req, res);
    res.on('close', done);
  };
  return {
    begin,
    middleware: (req, res, next) => {
      begin(req, res);
      next();
    },
  };
}

/** The path as the client sent it, without the query: once a mounted router has answered, Express's `req.path` is the part below its mount point. */
export function requestPathOf(req: ApiRequest): string {
  const url = req.originalUrl ?? req.url ?? '/';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}
