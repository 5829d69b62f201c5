import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { HybridCache } from '@shared/cache/hybrid-cache';
import type { Database } from '@shared/db/prisma-client';
import type { Logger } from '@shared/logger/logger';
import type { PipelineMetrics } from '@shared/metrics/pipeline-metrics';
import type { RedisClient } from '@shared/redis/redis-connection';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import type { RecomputeJobData } from '@shared/recompute/recompute-queue';
import { recomputeUser } from '@shared/recompute/recompute-user';
import { isId } from '@shared/contracts/ids';
import { waitingOutDatabaseOutages } from '../wait-out-outage';

/** Recomputes one user per job and records how long the user's events took to become visible. */
export function createRecomputeWorker(deps: {
  db: Pick<Database, 'pool'>;
  cache: HybridCache | null;
  cachePrefix: string;
  connection: RedisClient;
  prefix: string;
  concurrency: number;
  metrics: PipelineMetrics;
  logger: Logger;
  now?: () => Date;
  /** Job lock and stalled-check period (config WORKER_LOCK_DURATION_MS / WORKER_STALLED_INTERVAL_MS). */
  locks?: { lockDurationMs?: number; stalledIntervalMs?: number };
}): Worker {
  const worker = new Worker(
    QUEUE_NAMES.recompute,
    async (job: Job<RecomputeJobData>, token?: string) => {
      const { userId, publishedAt, requestId } = job.data ?? ({} as RecomputeJobData);
      if (!isId(userId)) throw new UnrecoverableError(`invalid recompute job: userId ${JSON.stringify(userId)}`);
      const stopTimer = deps.metrics.recomputeSeconds.startTimer();
      const { stored, cached } = await waitingOutDatabaseOutages(job, token, () => deps.metrics.deferred.inc({ queue: QUEUE_NAMES.recompute }), () =>
        recomputeUser({ db: deps.db, cache: deps.cache, cachePrefix: deps.cachePrefix, now: deps.now }, userId),
      );
      stopTimer();
      // Stored in PostgreSQL, but if Redis failed meanwhile the write-through did not replace
      // the user's previous L2 entries, which every API would then serve until their TTL.
      // Failing the job makes BullMQ run it again once Redis is back (a recompute is idempotent).
      if (!cached) {
        throw new Error('aggregates stored, but the cache write-through did not reach Redis; retrying so the cache is not left stale');
      }
      const lagSeconds = publishedAt ? (Date.now() - Date.parse(publishedAt)) / 1000 : null;
      if (lagSeconds !== null) deps.metrics.freshnessSeconds.observe(lagSeconds);
      deps.logger.debug({ jobId: job.id, userId, requestId, lagMs: lagSeconds === null ? undefined : Math.round(lagSeconds * 1000), stored }, 'aggregates visible');
      return { stored };
    },
    {
      connection: deps.connection,
      prefix: deps.prefix,
      concurrency: deps.concurrency,
      lockDuration: deps.locks?.lockDurationMs ?? 30_000,
      stalledInterval: deps.locks?.stalledIntervalMs ?? 5_000,
      metrics: { maxDataPoints: 60 * 24 * 7 },
    },
  );
  worker.on('error', (error) => deps.logger.warn({ queue: QUEUE_NAMES.recompute, err: error.message }, 'worker error'));
  worker.on('completed', () => deps.metrics.jobs.inc({ queue: QUEUE_NAMES.recompute, result: 'completed' }));
  worker.on('failed', () => deps.metrics.jobs.inc({ queue: QUEUE_NAMES.recompute, result: 'failed' }));
  return worker;
}
