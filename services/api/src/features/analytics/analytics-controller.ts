import { Router, type Request, type RequestHandler, type Response } from 'express';
import { AGGREGATE_NAMES } from '@shared/aggregates/registry';
import { analyticsRequestQuerySchema, generatePredictionsRequestBodySchema } from '@shared/contracts/analytics-query';
import { issueDetails } from '@shared/contracts/batch';
import { ValidationError } from '@shared/errors/errors';
import type { z } from 'zod';
import { anotherUsersAnalytics } from '../../http/api-error';
import type { Authenticator } from '../../http/auth';
import { jsonBody } from '../../http/json-body';
import { principalOf, type Principal } from '../../http/principal';
import { requestIdOf } from '../../http/request-id';
import type { AnalyticsReadService, AnalyticsResult } from './analytics-read-service';
import type { PredictionsGenerator } from './predictions-generator';

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
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
function userReadableBy(principal: Principal, requestedUserId: string | undefined, where: 'query' | 'body'): string {
  if (principal.kind === 'user') {
    if (requestedUserId === undefined || requestedUserId === principal.userId) return principal.userId;
    throw anotherUsersAnalytics();
  }
  if (requestedUserId === undefined) {
    throw new ValidationError(`invalid ${where}: userId: required (only a user token may leave it out, for its own user)`, [{ path: 'userId', message: 'required' }]);
  }
  return requestedUserId;
}

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * An answer is one user's analytics (SPEC 4.1: a user token reads only its own): `private`,
 * so no shared cache (a proxy, a CDN) keeps it for the next caller; `no-cache`, so a browser
 * that keeps it asks again before each use — with If-None-Match, which the strong ETag makes
 * a 304 when nothing changed. Set on the 304 too (RFC 9110 15.4.5: it carries what the 200 would).
 */
const CACHE_CONTROL = 'private, no-cache';

/**
 * Writes the answer's prebuilt bytes (for an L1 hit that is not aged, the very Buffer the
 * cache keeps) with the headers res.json would set, Cache-Control, its strong ETag and X-Cache; a GET or
 * HEAD whose If-None-Match names that ETag gets 304 without a body, as res.send answers it.
 * The body is SPEC 4's {data, meta: {userId, computedAt, cache}}, meta.refreshing only when
 * true (the computation is older than its TTL and a recompute is on its way).
 */
function send(req: Request, res: Response, result: AnalyticsResult): void {
  const { response, tier, refreshing } = result;
  res.setHeader('X-Cache', tier);
  res.setHeader('Cache-Control', CACHE_CONTROL);
  res.setHeader('ETag', response.etag(tier, refreshing));
  if (req.fresh) {
    res.statusCode = 304;
    res.end();
    return;
  }
  const body = response.body(tier, refreshing);
  res.setHeader('Content-Type', JSON_CONTENT_TYPE);
  res.setHeader('Content-Length', body.length);
  if (req.method === 'HEAD') res.end();
  else res.end(body);
}

/** Where the analytics routes are mounted: other paths never enter their router. */
export const ANALYTICS_PATH = '/api/analytics';

/**
 * GET /api/analytics/<name> for every aggregate of the registry, and POST /api/analytics/predictions/generate
 * (paths relative to ANALYTICS_PATH): for a read (or admin) API key, and for a user token
 * reading its own user. A generate queues a priority recompute, so it has a budget per caller
 * (`generateRateLimit`), settled before the body is read.
 */
export function analyticsRouter(deps: { auth: Authenticator; reads: AnalyticsReadService; predictions: PredictionsGenerator; generateRateLimit: RequestHandler }): Router {
  const router = Router();
  const readAccess = deps.auth.require('read', { userTokens: true });
  for (const name of AGGREGATE_NAMES) {
    router.get(`/${name}`, readAccess, async (req: Request, res: Response) => {
      const query = parse(analyticsRequestQuerySchema, req.query, 'query');
      const userId = userReadableBy(principalOf(res), query.userId, 'query');
      send(req, res, await deps.reads.read(name, { ...query, userId }));
    });
  }
  router.post('/predictions/generate', readAccess, deps.generateRateLimit, jsonBody(), async (req: Request, res: Response) => {
    const body = parse(generatePredictionsRequestBodySchema, req.body ?? {}, 'body');
    const userId = userReadableBy(principalOf(res), body.userId, 'body');
    send(req, res, await deps.predictions.generate(userId, requestIdOf(res)));
  });
  return router;
}
