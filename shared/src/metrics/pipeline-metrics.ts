import { Counter, Histogram, type Registry } from 'prom-client';
import { QUEUE_NAMES } from '../queues/queue-names';

/** The pipeline's metrics, on the process registry (served by the API's /metrics). */
export function createPipelineMetrics(registry: Registry) {
  const registers = [registry];
  const metrics = {
    jobs: new Counter({ name: 'pipeline_jobs_total', help: 'Jobs processed by queue and result', labelNames: ['queue', 'result'] as const, registers }),
    deferred: new Counter({ name: 'pipeline_jobs_deferred_total', help: 'Jobs put back as delayed while PostgreSQL was unavailable (no attempt spent)', labelNames: ['queue'] as const, registers }),
    rejected: new Counter({ name: 'ingest_rejected_total', help: 'Malformed payloads failed as unrecoverable', labelNames: ['queue'] as const, registers }),
    traceIgnored: new Counter({
      name: 'job_trace_ignored_total',
      help: 'Parts of a job\'s _trace ignored at the boundary: _trace that is no object, a publishedAt that is no instant (ISO-8601 with a zone, or epoch ms), a requestId unfit for a log line',
      labelNames: ['queue', 'field'] as const,
      registers,
    }),
    rowsInserted: new Counter({ name: 'ingest_rows_inserted_total', help: 'Raw rows inserted (duplicates excluded)', labelNames: ['table'] as const, registers }),
    ingestStepSeconds: new Histogram({
      name: 'ingest_step_duration_seconds',
      help: 'Time of each step of the ingest path: validate (per job), insert and mark_dirty (per batch)',
      labelNames: ['queue', 'step'] as const,
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    batchSize: new Histogram({ name: 'ingest_batch_size', help: 'Rows per multi-row insert', labelNames: ['table'] as const, buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000], registers }),
    recomputeSeconds: new Histogram({ name: 'recompute_duration_seconds', help: 'From a recompute job taken to its user stored and written through (its batch included)', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers }),
    recomputeStepSeconds: new Histogram({
      name: 'recompute_step_duration_seconds',
      help: 'Time of each step of a recompute batch: load (one statement), compute, save (one statement), write_through (one round trip)',
      labelNames: ['step'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    recomputeBatchUsers: new Histogram({ name: 'recompute_batch_users', help: 'Users per recompute batch', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256], registers }),
    refreshRequests: new Counter({
      name: 'aggregate_refresh_requests_total',
      help: 'Reads of an aggregate older than its TTL, by what became of the refresh they asked for (queued once per user and TTL, deduplicated, failed)',
      labelNames: ['result'] as const,
      registers,
    }),
    refreshesPerformed: new Counter({ name: 'aggregate_refreshes_total', help: 'Recomputes run because a read found the user\'s aggregates older than their TTL', registers }),
    servedAgeSeconds: new Histogram({
      name: 'aggregate_served_age_seconds',
      help: 'Age of the computation behind each analytics answer (now − computedAt), by query type',
      labelNames: ['query_type'] as const,
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 86_400],
      registers,
    }),
    freshnessSeconds: new Histogram({
      name: 'event_to_visible_seconds',
      help: 'From publish to the recomputed aggregates being readable through the cache',
      buckets: [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 5, 10, 30],
      registers,
    }),
  };
  // A series from the start (0) for every queue: an alert on "deferred jobs appeared" needs
  // the value before, not only after, the first outage.
  for (const queue of Object.values(QUEUE_NAMES)) metrics.deferred.inc({ queue }, 0);
  return metrics;
}
export type PipelineMetrics = ReturnType<typeof createPipelineMetrics>;

/** The same metrics, created once per registry (the all-in-one process shares one). */
const byRegistry = new WeakMap<Registry, PipelineMetrics>();
export function pipelineMetricsFor(registry: Registry): PipelineMetrics {
  let metrics = byRegistry.get(registry);
  if (!metrics) byRegistry.set(registry, (metrics = createPipelineMetrics(registry)));
  return metrics;
}
