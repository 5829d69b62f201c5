import type { Request, RequestHandler, Response } from 'express';

/** Work every request does as it arrives (a header, an id): synchronous, and it cannot fail. */
export type ArrivalStep = (req: Request, res: Response) => void;

/** Work every request does once its response is done or abandoned (a log line, a latency), given how long it took. */
export type DoneStep = (res: Response, elapsedMs: number) => void;

/**
 * The steps every request takes, as one middleware with one listener. Express dispatches
 * each app.use layer separately (a path match and a call through its `next`), and each
 * listener is an event registration per request: four middlewares with a listener each
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
export function everyRequest(steps: { onArrival: readonly ArrivalStep[]; onDone: readonly DoneStep[] }): RequestHandler {
  const { onArrival, onDone } = steps;
  function done(this: Response) {
    const elapsedMs = performance.now() - (this.locals.requestStartedAt as number);
    for (const step of onDone) step(this, elapsedMs);
  }
  return (req, res, next) => {
    res.locals.requestStartedAt = performance.now();
    for (const step of onArrival) step(req, res);
    res.on('close', done);
    next();
  };
}
