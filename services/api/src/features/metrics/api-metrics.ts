import { Counter, Gauge, type Registry } from 'prom-client';
import { poolUtilization, type Database } from '@shared/db/database';
import type { DoneStep } from '../../http/every-request';
import { startBackgroundCollector } from './background-collector';
import { httpLatency } from './http-latency';
import { queueAndRedisGauges, type QueueAndRedisSources } from './queue-and-redis-gauges';

/** The origin report's thresholds: slow queries warn > 500 ms, error > 5 s. */
export const SLOW_QUERY_MS = { warn: 500, error: 5_000 } as const;

export interface ApiMetrics {
  /** Observes every finished request into http_request_duration_seconds. */
  observeRequest: DoneStep;
  /** Times a database call and counts it when slow. */
  timed<T>(work: () => Promise<T>): Promise<T>;
  /** Resolves once queue depth and the Redis figures have been read once. */
  firstCollection: Promise<void>;
  /** Stops reading them (the app is closing). */
  close(): Promise<void>;
}

/**
 * The API's metrics: HTTP latency per route, slow queries, the database pool (read from
 * memory at each scrape), and queue depth, worker throughput and Redis (read from Redis in
 * the background every `collectIntervalMs`, so scrapes cost Redis nothing).
 */
export function createApiMetrics(
  registry: Registry,
  deps: QueueAndRedisSources & {
    db: Pick<Database, 'pool'>;
    poolMax: number;
    /** How often queue depth and the Redis figures are read (METRICS_COLLECT_INTERVAL_MS). */
    collectIntervalMs: number;
    /** Milliseconds, monotonic; tests pin it to check the slow-query thresholds. */
    now?: () => number;
  },
): ApiMetrics {
  const now = deps.now ?? (() => performance.now());
  const registers = [registry];
  const slowQueries = new Counter({ name: 'db_slow_queries_total', help: 'Queries over 500 ms (warn) and 5 s (error)', labelNames: ['level'] as const, registers });
  // Present from the first scrape, so an alert on rate() has a series to work with.
  for (const level of ['warn', 'error'] as const) slowQueries.inc({ level }, 0);
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

  const redisFigures = queueAndRedisGauges(registry, deps);
  const collector = startBackgroundCollector(() => redisFigures.collect(), {
    intervalMs: deps.collectIntervalMs,
    // An app dropped without close() (its owner closed the connections) stops by itself.
    finished: () => deps.redis?.status === 'end',
  });
  return { observeRequest: httpLatency(registry), timed, firstCollection: collector.firstCollection, close: () => collector.stop() };
}
