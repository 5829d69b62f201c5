/**
 * One process of the ingest scenario's no-op ceiling, a child of bench/lib/noop-workers.ts
 * (`node --import tsx`): a BullMQ Worker on the behavioral-event queue with the ingest
 * worker's own settings (workers/src/ingest/ingest-worker.ts) and a processor that does
 * nothing. Configured like a worker process, from the environment (REDIS_URL,
 * WORKER_CONCURRENCY, WORKER_LOCK_*), under the QUEUE_PREFIX the parent gives it.
 * Tells the parent over IPC when it is ready, then how many jobs it has completed.
 */
import { Worker } from 'bullmq';
import { loadConfig } from '@shared/config/config';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { closeRedis, createRedisConnection } from '@shared/redis/redis-connection';

export type NoopWorkerMessage = { type: 'ready' } | { type: 'completed'; count: number };

/** Completions are reported at most this often: one IPC message per job would cost the measured process more than the job. */
const REPORT_EVERY_MS = 5;
const SHUTDOWN_TIMEOUT_MS = 5_000;

function send(message: NoopWorkerMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const connection = createRedisConnection(config.redis, 'worker', 'bench:noop-worker');
  const worker = new Worker(QUEUE_NAMES.behavioralEvent, async () => undefined, {
    connection,
    prefix: config.queuePrefix,
    concurrency: config.workerConcurrency,
    lockDuration: config.workerLocks.lockDurationMs.ingest,
    stalledInterval: config.workerLocks.stalledIntervalMs,
    maxStalledCount: 3,
    metrics: { maxDataPoints: 60 * 24 * 7 },
  });
  worker.on('error', () => undefined);

  let completed = 0;
  let report: NodeJS.Timeout | undefined;
  worker.on('completed', () => {
    completed += 1;
    report ??= setTimeout(() => {
      report = undefined;
      send({ type: 'completed', count: completed });
    }, REPORT_EVERY_MS);
  });

  let closing: Promise<void> | undefined;
  const shutdown = () =>
    (closing ??= (async () => {
      // A worker's close waits for Redis, which may be gone with the parent that started it.
      setTimeout(() => process.exit(1), SHUTDOWN_TIMEOUT_MS).unref();
      await worker.close();
      await closeRedis(connection);
      process.exit(0);
    })());
  process.once('SIGTERM', () => void shutdown());
  // The parent is gone (killed, not stopped): do not run orphaned.
  process.once('disconnect', () => void shutdown());

  await worker.waitUntilReady();
  send({ type: 'ready' });
}

main().catch((error: Error) => {
  process.stderr.write(`no-op worker failed: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
