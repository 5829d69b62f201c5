import { Histogram, type Registry } from 'prom-client';
import type { Request } from 'express';
import type { DoneStep } from '../../http/every-request';

type Observer = { observe(seconds: number): void };

const UNMATCHED = 'unmatched';
const BULL_BOARD = '/admin/queues';

/**
 * The route label of a request: its pattern, Bull Board as one route (its assets have none),
 * or 'unmatched'. `originalUrl`, because once a mounted router has answered, `req.path` is
 * the part below its mount point.
 */
function routeKeyOf(req: Request): object | string {
  if (req.route) return req.route as object;
  return req.originalUrl.startsWith(BULL_BOARD) ? BULL_BOARD : UNMATCHED;
}

/**
 * `http_request_duration_seconds{method,route,status}`, observed when a response is done (an
 * abandoned one is not counted). Each (route, method, status) gets its histogram child once,
 * on its first request; after that a request costs three map look-ups and prom-client's
 * observe — no label object, no label string. A matched route is known by its Express route object; its
 * label is worked out from the first request (each router is mounted at one path).
 */
export function httpLatency(registry: Registry): DoneStep {
  const histogram = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP latency by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const children = new Map<object | string, Map<string, Map<number, Observer>>>();

  function childFor(req: Request, status: number): Observer {
    const key = routeKeyOf(req);
    let byMethod = children.get(key);
    if (!byMethod) children.set(key, (byMethod = new Map()));
    let byStatus = byMethod.get(req.method);
    if (!byStatus) byMethod.set(req.method, (byStatus = new Map()));
    let child = byStatus.get(status);
    if (!child) {
      const route = typeof key === 'string' ? key : `${req.baseUrl}${(req.route as { path: string }).path}`;
      byStatus.set(status, (child = histogram.labels(req.method, route, String(status))));
    }
    return child;
  }

  return (res, elapsedMs) => {
    if (res.writableFinished) childFor(res.req, res.statusCode).observe(elapsedMs / 1_000);
  };
}
