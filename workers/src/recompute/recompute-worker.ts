import { UnrecoverableError, type Job, type Queue, type Worker } from 'bullmq';
import type { AggregateWriteThrough } from '@shared/cache/write-through';
import type { Database } from '@shared/db/database';
import type { Logger } from '@shared/logger/logger';
import type { PipelineMetrics } from '@shared/metrics/pipeline-metrics';
import type { WorkerConnection } from '@shared/queues/queue-backend';
import { instantMs } from '@shared/queues/job-trace';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { enqueueRecomputesAt, type RecomputeJobData } from '@shared/recompute/recompute-queue';
import { recomputeUsers } from '@shared/recompute/recompute-users';
import { isId } from '@shared/contracts/ids';
import { createQueueWorker, type WorkerLocks } from '../queue-worker';
import type { Config } from '@shared/config/config';
import { waitingOutDatabaseOutages } from '../wait-out-outage';
import { jobsFillingBatches, RECOMPUTE_BATCH_POLICY, RecomputeBatcher, type RecomputeBatcherOptions } from './recompute-batcher';

/** Users and rows per batch (Config.recomputeBatch), and the rest of RECOMPUTE_BATCH_POLICY when given. */
export type RecomputeBatching = Config['recomputeBatch'] & Partial<Pick<RecomputeBatcherOptions, 'maxInFlight' | 'maxWaitMs'>>;

export interface RecomputeWorker {
  worker: Worker;
  close(): Promise<void>;
}

/**
 * One job per dirty user (deduplicated and debounced by the queue); the jobs running at
 * once are recomputed together in batches (RecomputeBatcher). Each job completes when its
 * own user is stored and written through, and records how long that user's earliest
 * unseen event took to become visible.
 */
export function createRecomputeWorker(deps: {
  db: Pick<Database, 'pool'>;
  cache: AggregateWriteThrough | null;
  cachePrefix: string;
  /** Where the queues live (see createQueueWorker). */
  queueBackend: WorkerConnection;
  /** Where a user's rows stamped ahead of the clock get their recompute for when they become visible. */
  recomputeQueue: Queue;
  batching: RecomputeBatching;
  metrics: PipelineMetrics;
  logger: Logger;
  now?: () => Date;
  locks: WorkerLocks;
}): RecomputeWorker {
  const batching = { ...RECOMPUTE_BATCH_POLICY, ...deps.batching };
  const batcher = new RecomputeBatcher({
    ...batching,
    run: (userIds) =>
      recomputeUsers({ db: deps.db, cache: deps.cache, cachePrefix: deps.cachePrefix, now: deps.now, timeStep: (step) => deps.metrics.recomputeStepSeconds.startTimer({ step }) }, userIds),
    onBatch: (users) => deps.metrics.recomputeBatchUsers.observe(users),
  });
  const worker = createQueueWorker<RecomputeJobData>({
    queueName: QUEUE_NAMES.recompute,
    process: async (job: Job<RecomputeJobData>, token?: string) => {
      const { userId, publishedAt, requestId, reason } = job.data ?? ({} as RecomputeJobData);
      if (!isId(userId)) throw new UnrecoverableError(`invalid recompute job: userId ${JSON.stringify(userId)}`);
      const stopTimer = deps.metrics.recomputeSeconds.startTimer();
      const { stored, cached, nextVisibleAt } = await waitingOutDatabaseOutages(job, token, () => deps.metrics.deferred.inc({ queue: QUEUE_NAMES.recompute }), () =>
        batcher.recompute(userId),
      );
      stopTimer();
      if (nextVisibleAt) await enqueueRecomputesAt(deps.recomputeQueue, [{ userId, at: nextVisibleAt }]);
      // Stored in PostgreSQL, but if Redis failed meanwhile the write-through did not replace
      // the user's previous L2 entries. The user is marked in cache_repairs (a worker
      // invalidates the entries once Redis answers); failing the job also runs it again,
      // which repairs the cache sooner when Redis is back quickly (a recompute is idempotent).
      if (!cached) {
        throw new Error('aggregates stored, but the cache write-through did not reach Redis; retrying so the cache is not left stale');
      }
      if (reason === 'aged') deps.metrics.refreshesPerformed.inc();
      // The job's publishedAt is input like any job data (a job from an older ingest, or one
      // published by hand): an instant or nothing, never NaN into the histogram (which throws,
      // failing a job whose aggregates are stored). A publisher's clock ahead of ours is no lag.
      const publishedAtMs = publishedAt === undefined ? null : instantMs(publishedAt);
      if (publishedAt !== undefined && publishedAtMs === null) deps.metrics.traceIgnored.inc({ queue: QUEUE_NAMES.recompute, field: 'publishedAt' });
      const lagSeconds = publishedAtMs === null ? null : Math.max(0, Date.now() - publishedAtMs) / 1000;
      if (lagSeconds !== null) deps.metrics.freshnessSeconds.observe(lagSeconds);
      deps.logger.debug({ jobId: job.id, userId, requestId, lagMs: lagSeconds === null ? undefined : Math.round(lagSeconds * 1000), stored }, 'aggregates visible');
      return { stored };
    },
    queueBackend: deps.queueBackend,
    concurrency: jobsFillingBatches(batching),
    locks: deps.locks,
    metrics: deps.metrics,
    logger: deps.logger,
  });
  let closing: Promise<void> | undefined;
  return {
    worker,
    close() {
      // The jobs in flight wait for their batches, which run on their own timers: closing
      // the worker lets them finish, and the batcher has nothing left after it.
      closing ??= worker.close().then(() => batcher.flush());
      return closing;
    },
  };
}
