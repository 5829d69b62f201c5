import { Router, type Request, type RequestHandler, type Response } from 'express';
import { AGGREGATE_NAMES } from '@shared/aggregates/registry';
import { generatePredictionsRequestBodySchema } from '@shared/contracts/analytics-query';
import type { Authenticator } from '../../http/auth';
import { jsonBody } from '../../http/json-body';
import { principalOf } from '../../http/principal';
import { requestIdOf } from '../../http/request-id';
import { analyticsQueryOf, parsed, sendAnalytics, userReadableBy } from './analytics-answer';
import type { AnalyticsReadService } from './analytics-read-service';
import type { PredictionsGenerator } from './predictions-generator';

/** Where the analytics routes are mounted: other paths never enter their router. */
export const ANALYTICS_PATH = '/api/analytics';

/**
 * GET /api/analytics/<name> for every aggregate of the registry, and POST /api/analytics/predictions/generate
 * (paths relative to ANALYTICS_PATH): for a read (or admin) API key, and for a user token
 * reading its own user. A generate queues a priority recompute, so it has a budget per caller
 * (`generateRateLimit`), settled before the body is read.
 *
 * Most reads never get here: the route table before Express (read-route-table.ts) answers
 * those of a key it has seen. This router answers the rest — first sights of a key, user
 * tokens, CORS, refusals — and is the reference the table is tested against.
 */
export function analyticsRouter(deps: { auth: Authenticator; reads: AnalyticsReadService; predictions: PredictionsGenerator; generateRateLimit: RequestHandler }): Router {
  const router = Router();
  const readAccess = deps.auth.require('read', { userTokens: true });
  for (const name of AGGREGATE_NAMES) {
    router.get(`/${name}`, readAccess, async (req: Request, res: Response) => {
      sendAnalytics(req, res, await deps.reads.read(name, analyticsQueryOf(req.query, principalOf(res))));
    });
  }
  router.post('/predictions/generate', readAccess, deps.generateRateLimit, jsonBody(), async (req: Request, res: Response) => {
    const body = parsed(generatePredictionsRequestBodySchema, req.body ?? {}, 'body');
    const userId = userReadableBy(principalOf(res), body.userId, 'body');
    sendAnalytics(req, res, await deps.predictions.generate(userId, requestIdOf(res)));
  });
  return router;
}
