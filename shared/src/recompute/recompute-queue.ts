import type { Queue, QueueEvents } from 'bullmq';

export interface RecomputeJobData {
  userId: string;
  /** The earliest publish time of the events this recompute makes visible (freshness metric). */
  publishedAt?: string;
  requestId?: string;
}

export const RECOMPUTE_JOB_NAME = 'recompute-user';

/**
 * Marks a user dirty. At most one recompute per user runs at a time and a burst of events
 * gives one recompute: deduplication by user id keeps one delayed job (the debounce
 * window) and, while one runs, one more that starts after it (keepLastIfActive).
 */
export async function enqueueRecompute(queue: Queue, data: RecomputeJobData, debounceMs: number): Promise<void> {
  await queue.add(RECOMPUTE_JOB_NAME, data, {
    delay: debounceMs,
    deduplication: { id: data.userId, keepLastIfActive: true },
    attempts: 5,
    backoff: { type: 'exponential', delay: 500 },
    removeOnComplete: { age: 600, count: 1_000 },
    removeOnFail: { age: 7 * 24 * 3_600 },
  });
}

/**
 * The priority path of POST /api/analytics/predictions/generate: ahead of the debounce and
 * of queued work; resolves when the worker has finished it, or rejects after `timeoutMs`.
 */
export async function recomputeNow(queue: Queue, events: QueueEvents, data: RecomputeJobData, timeoutMs = 10_000): Promise<void> {
  const job = await queue.add(RECOMPUTE_JOB_NAME, data, { priority: 1, attempts: 1, removeOnComplete: { age: 600 }, removeOnFail: { age: 3_600 } });
  await job.waitUntilFinished(events, timeoutMs);
}
