import type { Queue } from 'bullmq';
import { redisQueueBackend } from '@shared/queues/queue-backend';
import type { RedisClient } from '@shared/redis/redis-connection';

/**
 * Queue depth and lag, for the simulator's progress line. Depth = jobs not finished
 * (waiting, active, delayed, prioritized); lag = age of the oldest waiting job, i.e. how
 * far behind the workers are (0 when nothing waits).
 */
export interface QueueDepth {
  name: string;
  depth: number;
  lagMs: number;
}

/** Where the progress line's queue figures come from: the queues themselves, or an API's /metrics. */
export interface QueueDepthSource {
  /** The queues' depth and lag, or null while they cannot be known (the line then leaves them out). */
  snapshot(): Promise<QueueDepth[] | null>;
  close(): Promise<void>;
}

/** Straight from the queues on Redis: live figures (publishing into those queues). */
export class QueueMonitor implements QueueDepthSource {
  private queues: Queue[] | null = null;

  constructor(private readonly options: { connection: RedisClient; prefix: string; names: string[]; now?: () => number }) {}

  /** The queues' depth and lag, or null when Redis cannot be asked right now. */
  async snapshot(): Promise<QueueDepth[] | null> {
    if (this.options.connection.status !== 'ready') return null;
    const now = this.options.now ?? Date.now;
    try {
      return await Promise.all(
        this.open().map(async (queue) => {
          const [counts, oldest] = await Promise.all([queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized'), queue.getWaiting(0, 0)]);
          const job = oldest[0];
          // A delayed job (the recompute debounce) waits only from the end of its delay.
          const readyAt = job ? job.timestamp + (job.opts.delay ?? 0) : now();
          return { name: queue.name, depth: Object.values(counts).reduce((a, b) => a + b, 0), lagMs: Math.max(0, now() - readyAt) };
        }),
      );
    } catch {
      return null;
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled((this.queues ?? []).map((q) => q.close()));
  }

  /**
   * Made on first use, once the connection is ready: BullMQ checks the server version as
   * a queue is constructed, and on a fail-fast connection that is not ready yet the check
   * fails for good.
   */
  private open(): Queue[] {
    this.queues ??= this.options.names.map((name) => {
      const queue = redisQueueBackend(this.options.connection, this.options.prefix).queue(name);
      queue.on('error', () => undefined);
      return queue;
    });
    return this.queues;
  }
}

/** The job states the depth counts: not finished yet. */
const UNFINISHED_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized']);

/**
 * From an API's `GET /metrics` (no key needed): `queue_jobs{queue,state}` and
 * `queue_oldest_waiting_seconds{queue}`, which the API reads from its queues in the
 * background (every METRICS_COLLECT_INTERVAL_MS, 5 s by default), so the figures are as
 * of its last collection. This is how the simulator sees the queues of an API it reaches
 * over HTTP, whatever they live on (the embedded mode's are in its PostgreSQL, out of reach).
 */
export class ApiMetricsQueueMonitor implements QueueDepthSource {
  constructor(private readonly options: { url: string; key?: string; names: string[]; timeoutMs?: number; fetch?: typeof fetch }) {}

  async snapshot(): Promise<QueueDepth[] | null> {
    const doFetch = this.options.fetch ?? fetch;
    try {
      const response = await doFetch(`${this.options.url}/metrics`, {
        headers: this.options.key ? { authorization: `Bearer ${this.options.key}` } : {},
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 900),
      });
      if (!response.ok) {
        await response.body?.cancel();
        return null;
      }
      return queueDepthsFromMetrics(await response.text(), this.options.names);
    } catch {
      return null;
    }
  }

  async close(): Promise<void> {}
}

/** The named queues' depth and lag in Prometheus text, or null if a queue has no figures yet (before the API's first collection). */
export function queueDepthsFromMetrics(text: string, names: string[]): QueueDepth[] | null {
  const depth = new Map<string, number>();
  const lagSeconds = new Map<string, number>();
  for (const line of text.split('\n')) {
    const sample = /^(queue_jobs|queue_oldest_waiting_seconds)\{([^}]*)\} (\S+)/.exec(line);
    if (!sample) continue;
    const labels = Object.fromEntries([...sample[2]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    const value = Number(sample[3]);
    if (!labels.queue || !Number.isFinite(value)) continue;
    if (sample[1] === 'queue_jobs') {
      if (UNFINISHED_STATES.has(labels.state ?? '')) depth.set(labels.queue, (depth.get(labels.queue) ?? 0) + value);
    } else lagSeconds.set(labels.queue, value);
  }
  if (!names.every((name) => depth.has(name))) return null;
  return names.map((name) => ({ name, depth: depth.get(name)!, lagMs: (lagSeconds.get(name) ?? 0) * 1000 }));
}
