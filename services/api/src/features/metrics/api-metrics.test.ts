import { Registry } from 'prom-client';
import { createApiMetrics } from './api-metrics';

const created: { close(): Promise<void> }[] = [];
afterEach(() => Promise.all(created.splice(0).map((metrics) => metrics.close())));

/** The thresholds of the origin report, checked with a fake pool and a pinned clock. */
function metricsWith(pool: { totalCount: number; idleCount: number; waitingCount: number }, poolMax = 100) {
  const registry = new Registry();
  let clock = 0;
  const metrics = createApiMetrics(registry, {
    db: { pool: pool as never },
    poolMax,
    redis: { status: 'ready', ping: async () => 'PONG', info: async () => 'used_memory:1234\r\n' } as never,
    queues: [],
    collectIntervalMs: 60_000,
    now: () => clock,
  });
  created.push(metrics);
  const advance = (ms: number) => () => {
    clock += ms;
    return Promise.resolve();
  };
  const value = async (name: string, labels: Record<string, string> = {}) => {
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name)!;
    return (metric.values as { value: number; labels: Record<string, string> }[]).find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
  };
  return { metrics, advance, value };
}

describe('database pool utilization against the thresholds (warn > 80 %, error > 95 %)', () => {
  it.each([
    [0, 0],
    [80, 0],
    [81, 1],
    [95, 1],
    [96, 2],
    [100, 2],
  ])('%i of 100 connections in use gives level %i', async (inUse, level) => {
    const { value } = metricsWith({ totalCount: inUse + 3, idleCount: 3, waitingCount: 7 });
    expect(await value('db_pool_utilization_level')).toBe(level);
    expect(await value('db_pool_utilization_ratio')).toBeCloseTo(inUse / 100);
    expect(await value('db_pool_connections', { state: 'in_use' })).toBe(inUse);
    expect(await value('db_pool_connections', { state: 'idle' })).toBe(3);
    expect(await value('db_pool_connections', { state: 'waiting' })).toBe(7);
  });
});

describe('slow queries (warn > 500 ms, error > 5 s)', () => {
  it.each([
    [500, 0, 0],
    [501, 1, 0],
    [5_000, 1, 0],
    [5_001, 0, 1],
  ])('a query of %i ms counts warn %i, error %i', async (ms, warn, error) => {
    const { metrics, advance, value } = metricsWith({ totalCount: 0, idleCount: 0, waitingCount: 0 });
    await metrics.timed(advance(ms));
    expect(await value('db_slow_queries_total', { level: 'warn' })).toBe(warn);
    expect(await value('db_slow_queries_total', { level: 'error' })).toBe(error);
  });

  it('counts a slow query that fails too', async () => {
    const { metrics, advance, value } = metricsWith({ totalCount: 0, idleCount: 0, waitingCount: 0 });
    const slowThenFail = async () => {
      await advance(600)();
      throw new Error('boom');
    };
    await expect(metrics.timed(slowThenFail)).rejects.toThrow('boom');
    expect(await value('db_slow_queries_total', { level: 'warn' })).toBe(1);
  });
});

it('reports Redis memory from INFO, read in the background', async () => {
  const { metrics, value } = metricsWith({ totalCount: 0, idleCount: 0, waitingCount: 0 });
  await metrics.firstCollection;
  expect(await value('redis_used_memory_bytes')).toBe(1234);
  expect(await value('redis_ping_latency_seconds')).toBeGreaterThanOrEqual(0);
});
