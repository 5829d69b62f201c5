import type { Queue } from 'bullmq';

export interface RecomputeJobData {
  userId: string;
  /** The earliest publish time of the events this recompute makes visible (freshness metric). */
  publishedAt?: string;
  requestId?: string;
  /** Why: new events (absent), or `aged` — a read found the user's aggregates older than their TTL. */
  reason?: 'aged';
}

export const RECOMPUTE_JOB_NAME = 'recompute-user';

function recomputeJob(data: RecomputeJobData, debounceMs: number) {
  return {
    name: RECOMPUTE_JOB_NAME,
    data,
    opts: {
      delay: debounceMs,
      deduplication: { id: data.userId, keepLastIfActive: true },
      attempts: 5,
      backoff: { type: 'exponential' as const, delay: 500 },
      removeOnComplete: { age: 600, count: 1_000 },
      removeOnFail: { age: 7 * 24 * 3_600 },
    },
  };
}

/**
 * Marks a user dirty. At most one recompute per user runs at a time and a burst of events
 * gives one recompute: deduplication by user id keeps one delayed job (the debounce
 * window) and, while one runs, one more that starts after it (keepLastIfActive).
 */
export async function enqueueRecompute(queue: Queue, data: RecomputeJobData, debounceMs: number): Promise<void> {
  const job = recomputeJob(data, debounceMs);
  await queue.add(job.name, job.data, job.opts);
}

/** Marks many users dirty in one round trip (an ingest batch, a maintenance page). */
export async function enqueueRecomputes(queue: Queue, items: RecomputeJobData[], debounceMs: number): Promise<void> {
  if (items.length === 0) return;
  await queue.addBulk(items.map((data) => recomputeJob(data, debounceMs)));
}

export class RecomputeTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the recompute did not finish within ${timeoutMs} ms`);
    this.name = 'RecomputeTimeoutError';
    Object.setPrototypeOf(this, RecomputeTimeoutError.prototype);
  }
}

/**
 * The priority path of POST /api/analytics/predictions/generate: ahead of the debounce and
 * of queued work; resolves when the worker has finished it, rejects with
 * RecomputeTimeoutError after `timeoutMs`, or with the job's reason if it failed.
 * It polls the job's state rather than listening on QueueEvents: the call is rare and
 * bounded, and a QueueEvents would hold a blocking connection in every API process (whose
 * close can hang while that connection is reconnecting after a Redis restart).
 */
export async function recomputeNow(queue: Queue, data: RecomputeJobData, timeoutMs = 10_000, pollMs = 20): Promise<void> {
  const job = await queue.add(RECOMPUTE_JOB_NAME, data, { priority: 1, attempts: 1, removeOnComplete: { age: 600 }, removeOnFail: { age: 3_600 } });
  const jobId = job.id!;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await queue.getJobState(jobId);
    if (state === 'completed') return;
    if (state === 'failed') throw new Error(`recompute failed: ${(await queue.getJob(jobId))?.failedReason ?? 'no reason recorded'}`);
    if (Date.now() >= deadline) throw new RecomputeTimeoutError(timeoutMs);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
