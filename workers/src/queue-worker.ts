import { Worker, type Job } from 'bullmq';
import type { Logger } from '@shared/logger/logger';
import type { PipelineMetrics } from '@shared/metrics/pipeline-metrics';
import type { WorkerConnection } from '@shared/queues/queue-backend';

export interface QueueWorkerOptions<T> {
  queueName: string;
  /** Runs one job; `token` is the job's lock token (what moveToDelayed needs). */
  process: (job: Job<T>, token?: string) => Promise<unknown>;
  /** Where the queue lives: its connection, prefix and BullMQ backend (Redis, or PostgreSQL in the embedded mode). */
  queueBackend: WorkerConnection;
  concurrency: number;
  /** Job lock and stalled-check period (Config.workerLocks: this queue's lock). */
  locks: WorkerLocks;
  metrics: PipelineMetrics;
  logger: Logger;
}

/** One queue's job lock, and how often its worker looks for jobs whose lock expired (a dead worker's jobs). */
export interface WorkerLocks {
  lockDurationMs: number;
  stalledIntervalMs: number;
}

/** A week of per-minute completed/failed counts: what Bull Board's charts read. */
const METRIC_POINTS = 60 * 24 * 7;

/**
 * The one way this project builds a BullMQ worker: the lock and stalled-check options, the
 * per-minute job metrics Bull Board shows, and the listeners every queue needs — a worker
 * error is logged (not thrown: BullMQ reconnects by itself), a job's last failure is logged
 * at warn with the request id of the HTTP request that queued it and counted, earlier
 * attempts only at debug, and completions counted.
 */
export function createQueueWorker<T>(options: QueueWorkerOptions<T>): Worker<T> {
  const { queueName, logger, metrics } = options;
  const workerOptions = {
    connection: options.queueBackend.connection,
    prefix: options.queueBackend.prefix,
    concurrency: options.concurrency,
    lockDuration: options.locks.lockDurationMs,
    stalledInterval: options.locks.stalledIntervalMs,
    maxStalledCount: 3,
    metrics: { maxDataPoints: METRIC_POINTS },
  };
  // BullMQ types a Worker by its backend's connection type; the backend's factory and
  // connection belong together, which the union of both modes cannot express.
  const worker = new Worker<T>(queueName, (job: Job<T>, token?: string) => options.process(job, token), workerOptions as never, options.queueBackend.backendFactory as never) as unknown as Worker<T>;
  worker.on('error', (error) => logger.warn({ queue: queueName, err: error.message }, 'worker error'));
  worker.on('failed', (job, error) => {
    const final = !job || error.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
    const requestId = (job?.data as { _trace?: { requestId?: string }; requestId?: string } | undefined)?._trace?.requestId ?? (job?.data as { requestId?: string } | undefined)?.requestId;
    const context = { queue: queueName, jobId: job?.id, requestId, attemptsMade: job?.attemptsMade, err: error.message };
    if (!final) return logger.debug(context, 'job attempt failed; will retry');
    logger.warn(context, 'job failed');
    metrics.jobs.inc({ queue: queueName, result: 'failed' });
  });
  worker.on('completed', () => metrics.jobs.inc({ queue: queueName, result: 'completed' }));
  return worker;
}
