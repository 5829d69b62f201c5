import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Queue } from 'bullmq';
import type { RequestHandler } from 'express';
import { poolUtilization, type Database } from '@shared/db/prisma-client';
import type { RedisClient } from '@shared/redis/redis-connection';

/** The origin report's thresholds: slow queries warn > 500 ms, error > 5 s. */
export const SLOW_QUERY_MS = { warn: 500, error: 5_000 } as const;
const JOB_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'] as const;

/**
 * The API's metrics: HTTP latency per route, queue depth and worker throughput, database
 * pool, slow queries and Redis — all but the first and slow queries sampled when /metrics
 * is scraped, not on the hot path.
 */
export function createApiMetrics(
  registry: Registry,
  deps: {
    db: Pick<Database, 'pool'>;
    poolMax: number;
    redis: Pick<RedisClient, 'ping' | 'info'>;
    queues: Pick<Queue, 'name' | 'getJobCounts' | 'getMetrics'>[];
    /** Milliseconds, monotonic; tests pin it to check the slow-query thresholds. */
    now?: () => number;
  },
) {
  const now = deps.now ?? (() => performance.now());
  const registers = [registry];
  const http = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP latency by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const slowQueries = new Counter({ name: 'db_slow_queries_total', help: 'Queries over 500 ms (warn) and 5 s (error)', labelNames: ['level'] as const, registers });
  // Present from the first scrape, so an alert on rate() has a series to work with.
  for (const level of ['warn', 'error'] as const) slowQueries.inc({ level }, 0);
  new Gauge({
    name: 'queue_jobs',
    help: 'Jobs per queue and state',
    labelNames: ['queue', 'state'] as const,
    registers,
    async collect() {
      await Promise.all(
        deps.queues.map(async (queue) => {
          const counts = await queue.getJobCounts(...JOB_STATES).catch(() => null);
          if (counts) for (const state of JOB_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
        }),
      );
    },
  });
  // Worker throughput as BullMQ records it in Redis (the workers' `metrics` option): the same
  // figure from every API instance, even when the workers run in other processes, whose own
  // pipeline_jobs_total this registry never sees. rate(...[5m]) * 60 gives jobs per minute.
  new Counter({
    name: 'queue_processed_jobs_total',
    help: 'Jobs finished per queue and result, across all workers (BullMQ metrics in Redis)',
    labelNames: ['queue', 'result'] as const,
    registers,
    async collect() {
      const totals = await Promise.all(
        deps.queues.flatMap((queue) =>
          (['completed', 'failed'] as const).map(async (result) => ({
            labels: { queue: queue.name, result },
            count: await queue.getMetrics(result, 0, 0).then((m) => m.meta.count, () => null),
          })),
        ),
      );
      this.reset();
      for (const { labels, count } of totals) if (count !== null) this.inc(labels, count);
    },
  });
  new Gauge({
    name: 'db_pool_connections',
    help: 'Database pool connections by state',
    labelNames: ['state'] as const,
    registers,
    collect() {
      const pool = poolUtilization(deps.db.pool, deps.poolMax);
      this.set({ state: 'in_use' }, pool.inUse);
      this.set({ state: 'idle' }, pool.idle);
      this.set({ state: 'waiting' }, pool.waiting);
    },
  });
  new Gauge({ name: 'db_pool_utilization_ratio', help: 'Connections in use / pool size', registers, collect() { this.set(poolUtilization(deps.db.pool, deps.poolMax).utilization); } });
  new Gauge({
    name: 'db_pool_utilization_level',
    help: '0 ok, 1 warn (> 80 %), 2 error (> 95 %)',
    registers,
    collect() {
      this.set({ ok: 0, warn: 1, error: 2 }[poolUtilization(deps.db.pool, deps.poolMax).level]);
    },
  });
  new Gauge({
    name: 'redis_ping_latency_seconds',
    help: 'Round trip of a PING to Redis (-1 when down)',
    registers,
    async collect() {
      const started = performance.now();
      const ok = await deps.redis.ping().then(() => true, () => false);
      this.set(ok ? (performance.now() - started) / 1000 : -1);
    },
  });
  new Gauge({
    name: 'redis_used_memory_bytes',
    help: 'used_memory reported by Redis',
    registers,
    async collect() {
      const info = await deps.redis.info('memory').catch(() => '');
      const match = /used_memory:(\d+)/.exec(info);
      if (match) this.set(Number(match[1]));
    },
  });

  const middleware: RequestHandler = (req, res, next) => {
    const stop = http.startTimer();
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : req.path.startsWith('/admin/queues') ? '/admin/queues' : 'unmatched';
      stop({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };

  /** Times a database call and counts it when slow. */
  async function timed<T>(work: () => Promise<T>): Promise<T> {
    const started = now();
    try {
      return await work();
    } finally {
      const ms = now() - started;
      if (ms > SLOW_QUERY_MS.error) slowQueries.inc({ level: 'error' });
      else if (ms > SLOW_QUERY_MS.warn) slowQueries.inc({ level: 'warn' });
    }
  }

  return { middleware, timed };
}
