import fresh from 'fresh';
import { analyticsRequestQuerySchema, type AnalyticsQuery } from '@shared/contracts/analytics-query';
import { issueDetails } from '@shared/contracts/batch';
import { ValidationError } from '@shared/errors/errors';
import type { z } from 'zod';
import { anotherUsersAnalytics } from '../../http/api-error';
import type { ApiRequest, ApiResponse } from '../../http/every-request';
import { endWithJson } from '../../http/json-response';
import type { Principal } from '../../http/principal';
import type { AnalyticsResult } from './analytics-read-service';

/**
 * What an analytics read does between the caller and the read service, whether Express
 * routed it (analytics-controller.ts) or the route table before Express
 * (read-route-table.ts): the query checked, the access rule applied, the answer written.
 */

export function parsed<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const result = schema.safeParse(input);
  if (!result.success) {
    const details = issueDetails(result.error, '(root)');
    throw new ValidationError(`invalid ${what}: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
  }
  return result.data;
}

/**
 * Who may read which user's analytics: the one rule every analytics route applies
 * (SPEC 4.1). A service's API key reads any user it names; a user token reads only its own
 * user (`sub`), and naming no user means that user; while the API runs open, anyone reads
 * anyone.
 */
export function userReadableBy(principal: Principal, requestedUserId: string | undefined, where: 'query' | 'body'): string {
  if (principal.kind === 'user') {
    if (requestedUserId === undefined || requestedUserId === principal.userId) return principal.userId;
    throw anotherUsersAnalytics();
  }
  if (requestedUserId === undefined) {
    throw new ValidationError(`invalid ${where}: userId: required (only a user token may leave it out, for its own user)`, [{ path: 'userId', message: 'required' }]);
  }
  return requestedUserId;
}

/** A read's query string (parsed as Express's 'simple' parser does), checked, with the user the caller may read. */
export function analyticsQueryOf(rawQuery: unknown, principal: Principal): AnalyticsQuery {
  const query = parsed(analyticsRequestQuerySchema, rawQuery, 'query');
  return { ...query, userId: userReadableBy(principal, query.userId, 'query') };
}

/**
 * An answer is one user's analytics (SPEC 4.1: a user token reads only its own): `private`,
 * so no shared cache (a proxy, a CDN) keeps it for the next caller; `no-cache`, so a browser
 * that keeps it asks again before each use — with If-None-Match, which the strong ETag makes
 * a 304 when nothing changed. Set on the 304 too (RFC 9110 15.4.5: it carries what the 200 would).
 */
const CACHE_CONTROL = 'private, no-cache';

/**
 * Writes the answer's prebuilt bytes (for an L1 hit that is not aged, the very Buffer the
 * cache keeps) with the headers res.json would set, Cache-Control, its strong ETag and
 * X-Cache; a GET or HEAD whose If-None-Match names that ETag gets 304 without a body, as
 * Express's `req.fresh` would decide (the same `fresh` package). The body is SPEC 4's
 * {data, meta: {userId, computedAt, cache}}, meta.refreshing only when true (the computation
 * is older than its TTL and a recompute is on its way).
 */
export function sendAnalytics(req: ApiRequest, res: ApiResponse, result: AnalyticsResult): void {
  const { response, tier, refreshing } = result;
  const etag = response.etag(tier, refreshing);
  res.setHeader('X-Cache', tier);
  res.setHeader('Cache-Control', CACHE_CONTROL);
  res.setHeader('ETag', etag);
  if ((req.method === 'GET' || req.method === 'HEAD') && fresh(req.headers, { etag })) {
    res.statusCode = 304;
    res.end();
    return;
  }
  endWithJson(req, res, response.body(tier, refreshing));
}
