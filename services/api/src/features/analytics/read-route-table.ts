import { parse as parseQueryString } from 'node:querystring';
import { AGGREGATE_NAMES, type AggregateName } from '@shared/aggregates/registry';
import type { Authenticator } from '../../http/auth';
import { sendError } from '../../http/error-handler';
import type { ApiRequest, ApiResponse, RequestLifecycle } from '../../http/every-request';
import { setPrincipal, type Principal } from '../../http/principal';
import { ROUTE_LABEL } from '../metrics/http-latency';
import { analyticsQueryOf, sendAnalytics } from './analytics-answer';
import { ANALYTICS_PATH } from './analytics-controller';
import type { AnalyticsReadService } from './analytics-read-service';

/** Serves a request, or returns false and leaves it, untouched, to the Express app. */
export type RouteTable = (req: ApiRequest, res: ApiResponse) => boolean;

/**
 * The analytics reads — the most frequent request by far — found by one map lookup before
 * Express, as Fastify's and find-my-way's route tables find a route, instead of Express's
 * layered router, which tried each layer in turn and cost an L1 hit about a sixth of its time.
 *
 * The table takes only the common case, where nothing is left to decide but the read:
 * GET or HEAD of `/api/analytics/<aggregate>` exactly (query string aside), from a caller
 * the authenticator knows at once (a key it has seen that may read, or nobody while the API
 * is open), and, when CORS is configured, with no Origin. Everything else — a first sight
 * of a key, a user token, a refusal, a browser's CORS request, a trailing slash — goes to
 * Express's analytics router unchanged, which does the same things the long way
 * (test/api/read-route-table.test.ts holds both to the same answers).
 *
 * What a served read does is what the router does: the every-request steps (security
 * headers, request id, log line, latency under the same route label), Vary: Origin when
 * CORS is on, the same query check and access rule, the same answer or error.
 */
export function analyticsReadRouteTable(deps: { lifecycle: RequestLifecycle; auth: Authenticator; reads: AnalyticsReadService; corsEnabled: boolean }): RouteTable {
  const { lifecycle, auth, reads, corsEnabled } = deps;
  const routes = new Map<string, AggregateName>(AGGREGATE_NAMES.map((name) => [`${ANALYTICS_PATH}/${name}`, name]));

  async function serve(req: ApiRequest, res: ApiResponse, name: AggregateName, search: string, principal: Principal): Promise<void> {
    try {
      sendAnalytics(req, res, await reads.read(name, analyticsQueryOf(parseQueryString(search), principal)));
    } catch (error) {
      sendError(req, res, error);
    }
  }

  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const url = req.url ?? '';
    const queryAt = url.indexOf('?');
    const name = routes.get(queryAt < 0 ? url : url.slice(0, queryAt));
    if (name === undefined) return false;
    if (corsEnabled && req.headers.origin !== undefined) return false;
    const principal = auth.knownCaller(req.headers.authorization, 'read');
    if (!principal) return false;

    // Express gives every request its locals; a request served here gets them the same way.
    res.locals = { [ROUTE_LABEL]: `${ANALYTICS_PATH}/${name}` };
    lifecycle.begin(req, res);
    if (corsEnabled) res.setHeader('Vary', 'Origin');
    setPrincipal(res, principal);
    void serve(req, res, name, queryAt < 0 ? '' : url.slice(queryAt + 1), principal);
    return true;
  };
}
