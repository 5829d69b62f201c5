import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express } from 'express';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';
import type { ReadCache } from '@shared/cache/read-cache';
import type { Config } from '@shared/config/config';
import type { Database } from '@shared/db/database';
import type { Logger } from '@shared/logger/logger';
import { pipelineMetricsFor } from '@shared/metrics/pipeline-metrics';
import { AgedRefresher } from '@shared/recompute/aged-refresh';
import type { EventPublisher } from '@shared/queues/event-publisher';
import type { PipelineQueues } from '@shared/runtime/system';
import type { RedisClient } from '@shared/redis/redis-connection';
import { recentlyActiveUsers } from '@shared/store/recent-users';
import { serverApiSeams, type ApiSeams } from './api-seams';
import { adminRouter } from './features/admin/admin-router';
import { ANALYTICS_PATH, analyticsRouter } from './features/analytics/analytics-controller';
import { analyticsCors } from './features/analytics/analytics-cors';
import { AnalyticsReadService } from './features/analytics/analytics-read-service';
import { PredictionsGenerator } from './features/analytics/predictions-generator';
import { analyticsReadRouteTable, type RouteTable } from './features/analytics/read-route-table';
import { HEALTH_PATH, healthRouter, LIVE_PATH, liveHandler, readinessCheck } from './features/health/health-controller';
import { ingestRouter } from './features/ingest/ingest-controller';
import { createApiMetrics } from './features/metrics/api-metrics';
import { buildOpenApiDocument } from './features/openapi/openapi-document';
import { recentUsersRouter } from './features/users/recent-users-controller';
import { webPages } from './features/web/web-pages';
import { notFound } from './http/api-error';
import { createAuthenticator } from './http/auth';
import { errorHandler } from './http/error-handler';
import { everyRequest, type ApiRequest, type ApiResponse } from './http/every-request';
import { redisRateLimit } from './http/rate-limit';
import { assignRequestId } from './http/request-id';
import { requestLog } from './http/request-log';
import { JSON_API_HEADERS, securityHeaders } from './http/security-headers';

export interface AppDeps {
  config: Config;
  logger: Logger;
  db: Database;
  cache: ReadCache;
  publisher: EventPublisher;
  /** The pipeline's queues (Bull Board, queue depth); the recompute queue also serves /predictions/generate. */
  queues: PipelineQueues;
  /** Fail-fast connection: health, rate limiting, Redis metrics (the server mode's seams, unless `seams` is given). */
  redis?: RedisClient;
  /** The mode's implementations of health, rate limits and refresh claims (api-seams.ts). */
  seams?: ApiSeams;
  registry: Registry;
  /** The metrics of the worker processes beside this API (`pnpm start`), summed into /metrics. */
  siblingMetrics?: () => Promise<MetricObjectWithValues<MetricValue<string>>[][]>;
}

/**
 * The API as a request listener for `http.createServer` (or supertest): the analytics reads'
 * route table first, the Express application for everything else; and the background work
 * it started (reading queue and Redis figures for /metrics).
 */
export type ApiApp = ((req: IncomingMessage, res: ServerResponse) => void) & {
  /** Stops that background work; the server closes its connections itself. */
  close(): Promise<void>;
  /** The two parts, apart: the reads' route table (false: not its request) and the Express application behind it. */
  parts: { readRouteTable: RouteTable; express: Express };
};

/** Probes and scrapers ask every few seconds: their successes are logged at trace only. */
const QUIET_PATHS = ['/health/live', '/health/ready', '/metrics'];

/**
 * The application, without listening: the one place routes are wired. What every request
 * pays for is one step: precomputed security headers, an id, and when it is done a latency
 * observation and a log line only if one will be written. A body is parsed only by the
 * routes that take one, after they have authenticated the caller. The analytics reads of a
 * known caller take the route table before Express (read-route-table.ts); all else, Express.
 */
export function createApp(deps: AppDeps): ApiApp {
  const { config, logger } = deps;
  if (!deps.seams && !deps.redis) throw new TypeError('createApp needs redis (server mode) or seams');
  const seams = deps.seams ?? serverApiSeams(deps.redis!, config.cachePrefix);
  const auth = createAuthenticator(config.apiKeys, config.userTokens);
  if (auth.open) {
    const where = config.listen.chosen === 'HOST' ? `and HOST=${config.listen.host} exposes it beyond this machine` : 'so it listens on loopback only';
    logger.warn(`!!! API_KEYS is not set: every route is open, ${where}. Set API_KEYS=ingest:…,read:…,admin:… before exposing this service.`);
  }
  const pipelineMetrics = pipelineMetricsFor(deps.registry);
  const queues = Object.values(deps.queues);
  const metrics = createApiMetrics(deps.registry, {
    db: deps.db,
    poolMax: config.database.connectionLimit,
    redis: seams.redis,
    queues,
    collectIntervalMs: config.metricsCollectIntervalMs,
  });
  const recomputeQueue = deps.queues.recompute;
  const reads = new AnalyticsReadService({
    db: deps.db,
    cache: deps.cache,
    cachePrefix: config.cachePrefix,
    timed: metrics.timed,
    ttlMs: config.cache.ttlMs,
    refresher: new AgedRefresher({ claims: seams.refreshClaims, recomputeQueue, cachePrefix: config.cachePrefix, metrics: pipelineMetrics, logger }),
    metrics: pipelineMetrics,
  });
  const predictions = new PredictionsGenerator({ recomputeQueue, reads });

  const lifecycle = everyRequest({
    onArrival: [securityHeaders(JSON_API_HEADERS), assignRequestId()],
    onDone: [requestLog(logger, { quietPaths: QUIET_PATHS }), metrics.observeRequest],
  });
  const app = express();
  app.disable('x-powered-by');
  // Also what the route table parses a query with (node:querystring), so both check the same input.
  app.set('query parser', 'simple');
  app.use(lifecycle.middleware);

  app.get(LIVE_PATH, liveHandler());
  const ready = readinessCheck({ db: deps.db, redis: seams.redis, queues, logger, runtime: seams.runtime });
  app.use(HEALTH_PATH, healthRouter({ ready }));
  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', deps.registry.contentType);
    if (!deps.siblingMetrics) return void res.send(await deps.registry.metrics());
    const [own, siblings] = await Promise.all([deps.registry.getMetricsAsJSON(), deps.siblingMetrics()]);
    res.send(await AggregatorRegistry.aggregate([own, ...siblings]).metrics());
  });
  const openApi = buildOpenApiDocument();
  app.get('/api/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  const cors = analyticsCors(config.corsOrigins);
  const readRouteTable = analyticsReadRouteTable({ lifecycle, auth, reads, corsEnabled: cors.length > 0 });
  if (cors.length > 0) app.use(ANALYTICS_PATH, ...cors);
  const rateLimit = (name: string, perMinute: number, what: string) =>
    redisRateLimit({ ...seams.rateLimitStore(name), prefix: `${config.cachePrefix}:ratelimit:${name}:`, perMinute, what, logger });
  app.use(ANALYTICS_PATH, analyticsRouter({ auth, reads, predictions, generateRateLimit: rateLimit('generate', config.generateRateLimitPerMinute, 'prediction runs') }));
  app.use(ingestRouter({ auth, publisher: deps.publisher, rateLimit: rateLimit('ingest', config.rateLimitPerMinute, 'ingest requests') }));
  app.use(adminRouter({ auth, cache: deps.cache, queues, readOnly: config.bullBoardReadOnly, runtime: seams.runtime }));
  app.use(recentUsersRouter({ auth, recentUsers: (limit) => metrics.timed(() => recentlyActiveUsers(deps.db.pool, limit)) }));
  app.use(webPages({ config, runtime: seams.runtime, ready, queues, startPage: config.startPage }));
  app.use((req, _res, next) => next(notFound(req.path)));
  app.use(errorHandler());

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    if (!readRouteTable(req as ApiRequest, res as ApiResponse)) app(req, res);
  };
  return Object.assign(listener, { close: () => metrics.close(), parts: { readRouteTable, express: app } });
}
