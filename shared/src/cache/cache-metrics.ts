import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The Redis tier's metrics, shared by every L2Cache of a process (its read cache and its
 * cache writer): made once per registry; unregistered when there is no registry.
 */
export function l2MetricsFor(registry: Registry | undefined): L2Metrics {
  if (!registry) return createL2Metrics([]);
  let metrics = l2MetricsByRegistry.get(registry);
  if (!metrics) l2MetricsByRegistry.set(registry, (metrics = createL2Metrics([registry])));
  return metrics;
}

/** From a local round trip (~0.1 ms) to the 500 ms a read-path command may take before it fails. */
const L2_LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5];

function createL2Metrics(registers: Registry[]) {
  return {
    latency: new Histogram({ name: 'cache_l2_latency_seconds', help: 'Latency of L2 (Redis) operations', labelNames: ['op'] as const, buckets: L2_LATENCY_BUCKETS, registers }),
    fallbacks: new Counter({ name: 'cache_fallbacks_total', help: 'L2 operations skipped or failed (Redis down or breaker open)', registers }),
  };
}
export type L2Metrics = ReturnType<typeof createL2Metrics>;
const l2MetricsByRegistry = new WeakMap<Registry, L2Metrics>();

/** The read cache's metrics (one read cache per registry); unregistered when there is no registry. */
export function createReadCacheMetrics(registry: Registry | undefined, l1: () => { entries: number; bytes: number }) {
  const registers = registry ? [registry] : [];
  return {
    hits: new Counter({ name: 'cache_hits_total', help: 'Cache hits by tier and query type', labelNames: ['tier', 'query_type'] as const, registers }),
    misses: new Counter({ name: 'cache_misses_total', help: 'Reads that went to the loader', labelNames: ['query_type'] as const, registers }),
    staleServed: new Counter({ name: 'cache_stale_served_total', help: 'Expired entries served within their grace period', registers }),
    invalidations: new Counter({ name: 'cache_invalidations_total', help: 'Invalidations heard, by kind (remote: one user; resync: all of L1)', labelNames: ['kind'] as const, registers }),
    l1Entries: new Gauge({ name: 'cache_l1_entries', help: 'Entries in the in-process cache', registers, collect() { this.set(l1().entries); } }),
    l1Bytes: new Gauge({ name: 'cache_l1_bytes', help: 'Approximate bytes held by the in-process cache', registers, collect() { this.set(l1().bytes); } }),
  };
}
export type ReadCacheMetrics = ReturnType<typeof createReadCacheMetrics>;
