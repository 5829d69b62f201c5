import { Queue } from 'bullmq';
import type { Registry } from 'prom-client';
import type { AggregateWriteThrough } from '@shared/cache/write-through';
import type { Config } from '@shared/config/config';
import { sessionCompletedSchema } from '@shared/contracts/session-completed';
import { behavioralEventSchema } from '@shared/contracts/behavioral-event';
import type { Database } from '@shared/db/database';
import type { Logger } from '@shared/logger/logger';
import { pipelineMetricsFor } from '@shared/metrics/pipeline-metrics';
import { redisQueueBackend, type QueueBackend } from '@shared/queues/queue-backend';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import type { System } from '@shared/runtime/system';
import { CacheRepairer } from '@shared/recompute/cache-repairer';
import { closeRedis, createRedisConnection } from '@shared/redis/redis-connection';
import { insertEvents, insertSessions } from '@shared/store/event-store';
import { IngestWorker } from './ingest/ingest-worker';
import { createQueueWorker } from './queue-worker';
import { createRecomputeWorker } from './recompute/recompute-worker';
import { runMaintenanceTask } from './schedules/maintenance-tasks';
import { startScheduler } from './schedules/scheduler';

export interface WorkerRuntimeDeps {
  config: Config;
  logger: Logger;
  db: Database;
  /** The write side of the cache (System.writer): a CacheWriter, or in the embedded mode a NOTIFY to every L1. */
  cache: AggregateWriteThrough | null;
  registry: Registry;
  /** The clock of recomputes (tests pin it). */
  now?: () => Date;
  /** Where the queues live (the embedded mode's PostgreSQL); absent: Redis, on a connection of the runtime's own. */
  queueBackend?: QueueBackend;
}

/** A runtime's deps on a system: its write side, and its queue backend in the embedded mode (on Redis the workers connect on their own). */
export function workerDepsOf(system: System, now?: () => Date): WorkerRuntimeDeps {
  return {
    config: system.config,
    logger: system.logger,
    db: system.infra.db,
    cache: system.writer,
    registry: system.infra.registry,
    now,
    queueBackend: system.config.mode === 'embedded' ? system.queueBackend : undefined,
  };
}

export interface WorkerRuntime {
  /** The four queues, for Bull Board in the all-in-one process. */
  queues: Queue[];
  close(): Promise<void>;
}

/**
 * Every worker of one process: ingest (events, sessions), recompute, maintenance, and
 * optionally the cron scheduler. close() stops cron, lets jobs in flight finish and their
 * batches be written, then closes the queues and the connections it made.
 */
export async function startWorkerRuntime(deps: WorkerRuntimeDeps, options: { scheduler: boolean }): Promise<WorkerRuntime> {
  const { config, logger } = deps;
  const ownRedis = deps.queueBackend ? null : createRedisConnection(config.redis, 'worker', 'study-analytics:worker');
  ownRedis?.on('error', (error) => logger.debug({ err: error.message }, 'worker Redis connection error'));
  const backend = deps.queueBackend ?? redisQueueBackend(ownRedis!, config.queuePrefix);
  const metrics = pipelineMetricsFor(deps.registry);
  const prefix = backend.workers.prefix;
  const queue = (name: string) => backend.queue(name);
  const queues = {
    events: queue(QUEUE_NAMES.behavioralEvent),
    sessions: queue(QUEUE_NAMES.sessionCompleted),
    recompute: queue(QUEUE_NAMES.recompute),
    maintenance: queue(QUEUE_NAMES.maintenance),
  };
  for (const q of Object.values(queues)) q.on('error', (error) => logger.debug({ queue: q.name, err: error.message }, 'queue error'));

  const locksOf = (worker: keyof Config['workerLocks']['lockDurationMs']) => ({ lockDurationMs: config.workerLocks.lockDurationMs[worker], stalledIntervalMs: config.workerLocks.stalledIntervalMs });
  const ingest = { locks: locksOf('ingest'), queueBackend: backend.workers, concurrency: config.workerConcurrency, recomputeQueue: queues.recompute, debounceMs: config.recomputeDebounceMs, metrics, logger, batching: config.ingestBatch };
  const eventWorker = new IngestWorker({ ...ingest, queueName: QUEUE_NAMES.behavioralEvent, schema: behavioralEventSchema, table: 'behavioral_events', insert: async (rows) => (await insertEvents(deps.db.pool, rows)).inserted });
  const sessionWorker = new IngestWorker({ ...ingest, queueName: QUEUE_NAMES.sessionCompleted, schema: sessionCompletedSchema, table: 'study_sessions', insert: async (rows) => (await insertSessions(deps.db.pool, rows)).inserted });
  const recomputeWorker = createRecomputeWorker({
    db: deps.db,
    cache: deps.cache,
    cachePrefix: config.cachePrefix,
    queueBackend: backend.workers,
    recomputeQueue: queues.recompute,
    batching: config.recomputeBatch,
    metrics,
    logger,
    now: deps.now,
    locks: locksOf('recompute'),
  });
  const maintenanceWorker = createQueueWorker<{ task?: string }>({
    queueName: QUEUE_NAMES.maintenance,
    process: (job) =>
      runMaintenanceTask(String(job.data?.task ?? job.name), job, {
        db: deps.db,
        config,
        recomputeQueue: queues.recompute,
        queues: Object.values(queues),
        now: deps.now ?? (() => new Date()),
      }),
    queueBackend: backend.workers,
    concurrency: 1,
    // A nightly run pages through every active user: minutes, with its lock renewed meanwhile.
    locks: locksOf('maintenance'),
    metrics,
    logger,
  });
  const repairer = deps.cache ? new CacheRepairer({ db: deps.db, cache: deps.cache, logger }) : null;
  repairer?.start();
  const scheduler = options.scheduler ? startScheduler({ config, maintenanceQueue: queues.maintenance, logger }) : null;
  logger.info({ prefix, concurrency: config.workerConcurrency, scheduler: options.scheduler }, 'workers started');

  let closing: Promise<void> | undefined;
  return {
    queues: Object.values(queues),
    close() {
      closing ??= (async () => {
        await scheduler?.stop();
        await repairer?.stop();
        await Promise.allSettled([eventWorker.close(), sessionWorker.close(), recomputeWorker.close(), maintenanceWorker.close()]);
        await Promise.allSettled(Object.values(queues).map((q) => q.close()));
        if (ownRedis) await closeRedis(ownRedis);
        logger.info('workers stopped');
      })();
      return closing;
    },
  };
}
