import { Counter, Gauge, type Registry } from 'prom-client';
import type { Queue } from 'bullmq';
import type { RedisClient } from '@shared/redis/redis-connection';

const JOB_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'] as const;
const RESULTS = ['completed', 'failed'] as const;

export interface QueueAndRedisSources {
  /** null: no Redis (the embedded mode): no Redis gauges. */
  redis: Pick<RedisClient, 'ping' | 'info' | 'status'> | null;
  queues: Pick<Queue, 'name' | 'getJobCounts' | 'getMetrics' | 'getJobs' | 'getWorkersCount'>[];
}

/**
 * The figures /metrics shows that live in Redis: queue depth, worker throughput, Redis
 * round trip and memory. They are plain gauges and counters, set by `collect()` — which a
 * background collector calls every few seconds — so a scrape reads numbers and never talks
 * to Redis (one collection is tens of commands; scraping it per request multiplied them).
 */
export function queueAndRedisGauges(registry: Registry, sources: QueueAndRedisSources): { collect(): Promise<void> } {
  const registers = [registry];
  const queueJobs = new Gauge({ name: 'queue_jobs', help: 'Jobs per queue and state', labelNames: ['queue', 'state'] as const, registers });
  // Worker throughput as BullMQ records it in Redis (the workers' `metrics` option): the same
  // figure from every API instance, even when the workers run in other processes, whose own
  // pipeline_jobs_total this registry never sees. rate(...[5m]) * 60 gives jobs per minute.
  const processed = new Counter({
    name: 'queue_processed_jobs_total',
    help: 'Jobs finished per queue and result, across all workers (BullMQ metrics in Redis)',
    labelNames: ['queue', 'result'] as const,
    registers,
  });
  const oldestQueued = new Gauge({
    name: 'queue_oldest_waiting_seconds',
    help: 'Age of the oldest job waiting to run per queue (waiting or prioritized; 0 when none): how long new work waits',
    labelNames: ['queue'] as const,
    registers,
  });
  const workers = new Gauge({ name: 'queue_workers', help: 'Workers connected to each queue, across all processes', labelNames: ['queue'] as const, registers });
  const redis = sources.redis;
  const pingLatency = redis ? new Gauge({ name: 'redis_ping_latency_seconds', help: 'Round trip of a PING to Redis (-1 when down)', registers }) : null;
  const usedMemory = redis ? new Gauge({ name: 'redis_used_memory_bytes', help: 'used_memory reported by Redis', registers }) : null;

  async function collectQueueJobs(): Promise<void> {
    await Promise.all(
      sources.queues.map(async (queue) => {
        const counts = await queue.getJobCounts(...JOB_STATES).catch(() => null);
        if (counts) for (const state of JOB_STATES) queueJobs.set({ queue: queue.name, state }, counts[state] ?? 0);
      }),
    );
  }

  async function collectProcessed(): Promise<void> {
    const totals = await Promise.all(
      sources.queues.flatMap((queue) =>
        RESULTS.map(async (result) => ({
          labels: { queue: queue.name, result },
          count: await queue.getMetrics(result, 0, 0).then((m) => m.meta.count, () => null),
        })),
      ),
    );
    processed.reset();
    for (const { labels, count } of totals) if (count !== null) processed.inc(labels, count);
  }

  async function collectOldestQueued(): Promise<void> {
    const now = Date.now();
    await Promise.all(
      sources.queues.map(async (queue) => {
        // The head of each list: the oldest waiting job, and the next prioritized one (FIFO
        // within a priority, and every recompute job carries one).
        const heads = await Promise.all([queue.getJobs(['wait'], 0, 0, true), queue.getJobs(['prioritized'], 0, 0, true)]).catch(() => null);
        if (!heads) return;
        const stamps = heads.flat().flatMap((job) => (job?.timestamp ? [job.timestamp] : []));
        oldestQueued.set({ queue: queue.name }, stamps.length ? Math.max(0, now - Math.min(...stamps)) / 1_000 : 0);
      }),
    );
  }

  async function collectWorkers(): Promise<void> {
    await Promise.all(
      sources.queues.map(async (queue) => {
        const count = await queue.getWorkersCount().catch(() => null);
        if (count !== null) workers.set({ queue: queue.name }, count);
      }),
    );
  }

  async function collectPing(): Promise<void> {
    if (!redis || !pingLatency) return;
    const started = performance.now();
    const ok = await redis.ping().then(() => true, () => false);
    pingLatency.set(ok ? (performance.now() - started) / 1_000 : -1);
  }

  async function collectMemory(): Promise<void> {
    if (!redis || !usedMemory) return;
    const info = await redis.info('memory').catch(() => '');
    const match = /used_memory:(\d+)/.exec(info);
    if (match) usedMemory.set(Number(match[1]));
  }

  return {
    async collect() {
      await Promise.all([collectQueueJobs(), collectProcessed(), collectOldestQueued(), collectWorkers(), collectPing(), collectMemory()]);
    },
  };
}
