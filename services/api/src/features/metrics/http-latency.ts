import { Histogram, type Registry } from 'prom-client';
import { requestPathOf, type ApiRequest, type ApiResponse, type DoneStep } from '../../http/every-request';

type Observer = { observe(seconds: number): void };

const UNMATCHED = 'unmatched';
const BULL_BOARD = '/admin/queues';

/** Set by a route served before Express (read-route-table.ts): its label, as Express would give it. */
export const ROUTE_LABEL = 'routeLabel';

type ExpressRequest = ApiRequest & { route?: { path: string }; baseUrl?: string };

/**
 * The route label of a request: the label a route served before Express set, an Express
 * route's pattern, Bull Board as one route (its assets have none), or 'unmatched'.
 */
function routeKeyOf(res: ApiResponse): object | string {
  const label = res.locals[ROUTE_LABEL] as string | undefined;
  if (label !== undefined) return label;
  const req = res.req as ExpressRequest;
  if (req.route) return req.route;
  return requestPathOf(req).startsWith(BULL_BOARD) ? BULL_BOARD : UNMATCHED;
}

/**
 * `http_request_duration_seconds{method,route,status}`, observed when a response is done (an
 * abandoned one is not counted). Each (route, method, status) gets its histogram child once,
 * on its first request; after that a request costs three map look-ups and prom-client's
 * observe — no label object, no label string. A matched Express route is known by its route
 * object; its label is worked out from the first request (each router is mounted at one path).
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

  function childFor(res: ApiResponse, status: number): Observer {
    const req = res.req as ExpressRequest;
    const method = req.method ?? 'GET';
    const key = routeKeyOf(res);
    let byMethod = children.get(key);
    if (!byMethod) children.set(key, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    let child = byStatus.get(status);
    if (!child) {
      const route = typeof key === 'string' ? key : `${req.baseUrl ?? ''}${req.route!.path}`;
      byStatus.set(status, (child = histogram.labels(method, route, String(status))));
    }
    return child;
  }

  return (res, elapsedMs) => {
    if (res.writableFinished) childFor(res, res.statusCode).observe(elapsedMs / 1_000);
  };
}
