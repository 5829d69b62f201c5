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

export class QueueMonitor {
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
