import express, { type Express } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';
import type { HybridCache } from '@shared/cache/hybrid-cache';
import type { Config } from '@shared/config/config';
import type { Database } from '@shared/db/prisma-client';
import type { Logger } from '@shared/logger/logger';
import { pipelineMetricsFor } from '@shared/metrics/pipeline-metrics';
import type { EventPublisher } from '@shared/queues/event-publisher';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import type { RedisClient } from '@shared/redis/redis-connection';
import { adminRouter } from './features/admin/admin-router';
import { analyticsRouter } from './features/analytics/analytics-controller';
import { analyticsCors } from './features/analytics/analytics-cors';
import { AnalyticsReadService } from './features/analytics/analytics-read-service';
import { PredictionsGenerator } from './features/analytics/predictions-generator';
import { healthRouter } from './features/health/health-controller';
import { ingestRouter } from './features/ingest/ingest-controller';
import { ingestRateLimit } from './features/ingest/ingest-rate-limit';
import { createApiMetrics } from './features/metrics/api-metrics';
import { buildOpenApiDocument } from './features/openapi/openapi-document';
import { notFound } from './http/api-error';
import { createAuthenticator } from './http/auth';
import { errorHandler } from './http/error-handler';
import { subjectBindings } from './http/principal';

export interface AppDeps {
  config: Config;
  logger: Logger;
  db: Database;
  cache: HybridCache;
  publisher: EventPublisher;
  /** The four queues (Bull Board, queue depth); the recompute queue also serves /predictions/generate. */
  queues: Queue[];
  /** Fail-fast connection: health, rate limiting, Redis metrics. */
  redis: RedisClient;
  registry: Registry;
  /** The metrics of the worker processes beside this API (`pnpm start`), summed into /metrics. */
  siblingMetrics?: () => Promise<MetricObjectWithValues<MetricValue<string>>[][]>;
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** The Express application, without listening: the one place routes are wired. */
export function createApp(deps: AppDeps): Express {
  const { config, logger } = deps;
  const auth = createAuthenticator(config.apiKeys, config.userTokens);
  if (auth.open) logger.warn('!!! API_KEYS is not set: every route is open. Set API_KEYS=ingest:…,read:…,admin:… before exposing this service.');
  pipelineMetricsFor(deps.registry);
  const metrics = createApiMetrics(deps.registry, { db: deps.db, poolMax: config.database.connectionLimit, redis: deps.redis, queues: deps.queues });
  const recomputeQueue = deps.queues.find((q) => q.name === QUEUE_NAMES.recompute);
  if (!recomputeQueue) throw new Error('createApp needs the recompute queue');
  const reads = new AnalyticsReadService({ db: deps.db, cache: deps.cache, cachePrefix: config.cachePrefix, timed: metrics.timed });
  const predictions = new PredictionsGenerator({ recomputeQueue, reads });

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(helmet({ contentSecurityPolicy: false }));
  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/health/live' || req.url === '/metrics' },
      // Who made the request (a key's id or a user token's user), and why a token was refused;
      // the Authorization header itself is redacted by the logger.
      customProps: (_req, res) => ({ ...subjectBindings(res), ...(res.locals?.tokenRefused ? { tokenRefused: res.locals.tokenRefused as string } : {}) }),
      // 503 = a dependency is down (readiness probes repeat it every few seconds): warn, not error;
      // error is kept for what is a bug (500) so a healthy app logs none.
      customLogLevel: (_req, res, error) => (res.statusCode === 503 ? 'warn' : error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug'),
    }),
  );
  app.use(metrics.middleware);
  app.use(express.json({ limit: '1mb', strict: true, type: ['application/json', 'application/*+json'] }));

  app.use(healthRouter({ db: deps.db, redis: deps.redis, queues: deps.queues }));
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
  app.use(analyticsCors(config.corsOrigins));
  app.use(analyticsRouter({ auth, reads, predictions }));
  app.use(ingestRouter({ auth, publisher: deps.publisher, rateLimit: ingestRateLimit({ redis: deps.redis, prefix: config.cachePrefix, perMinute: config.rateLimitPerMinute, logger }) }));
  app.use(adminRouter({ auth, cache: deps.cache, queues: deps.queues, readOnly: config.bullBoardReadOnly }));
  app.use((req, _res, next) => next(notFound(req.path)));
  app.use(errorHandler(logger));

  return app;
}
