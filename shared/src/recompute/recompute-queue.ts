import type { Queue } from 'bullmq';
import { NamedError } from '../errors/errors';

export interface RecomputeJobData {
  userId: string;
  /** The earliest publish time of the events this recompute makes visible (freshness metric). */
  publishedAt?: string;
  requestId?: string;
  /**
   * Why: new events (absent); `aged`, a read found the user's aggregates older than their
   * TTL; `refresh`, windows moved (the nightly run); `visible`, a row stamped ahead of the
   * clock reached its time.
   */
  reason?: 'aged' | 'refresh' | 'visible';
}

export const RECOMPUTE_JOB_NAME = 'recompute-user';

/**
 * Every recompute job carries a priority (1 runs first): BullMQ runs jobs WITHOUT a
 * priority before all prioritized ones, so a lane ahead of the backlog exists only if the
 * backlog is prioritized too. `generate` (a person waiting on the answer) goes first, then
 * new data, then refreshes of data already counted (aged reads, the nightly run).
 */
export const RECOMPUTE_PRIORITY = { generate: 1, newData: 2, refresh: 3 } as const;

/** A row stamped ahead becomes visible at its time; its recompute runs at the next step of this grid. */
const VISIBLE_AT_STEP_MS = 100;

/** Retries and trimming shared by every queued recompute. */
const RECOMPUTE_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential' as const, delay: 500 },
  removeOnComplete: { age: 600, count: 1_000 },
  removeOnFail: { age: 7 * 24 * 3_600 },
};

function recomputeJob(data: RecomputeJobData, debounceMs: number) {
  return {
    name: RECOMPUTE_JOB_NAME,
    data,
    opts: {
      delay: debounceMs,
      priority: data.reason === 'aged' || data.reason === 'refresh' ? RECOMPUTE_PRIORITY.refresh : RECOMPUTE_PRIORITY.newData,
      deduplication: { id: data.userId, keepLastIfActive: true },
      ...RECOMPUTE_JOB_OPTIONS,
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

/**
 * Schedules each user's recompute for the moment its earliest row stamped ahead of the
 * clock becomes visible (SPEC 6: visible by itself, with no further traffic). Its own
 * deduplication id per user and instant, so the debounce of new events cannot swallow it
 * and many rows of one instant give one job. keepLastIfActive: a worker whose clock is
 * behind may run that very job before the instant has come on its clock, and then asks for
 * the same instant again from inside it; that request must become the next job, not be
 * dropped as a duplicate of the running one (the row would stay invisible until new traffic).
 */
export async function enqueueRecomputesAt(queue: Queue, items: { userId: string; at: Date }[], now = Date.now()): Promise<void> {
  if (items.length === 0) return;
  await queue.addBulk(
    items.map(({ userId, at }) => {
      const runAt = Math.ceil(at.getTime() / VISIBLE_AT_STEP_MS) * VISIBLE_AT_STEP_MS;
      const data: RecomputeJobData = { userId, reason: 'visible' };
      return {
        name: RECOMPUTE_JOB_NAME,
        data,
        opts: {
          delay: Math.max(0, runAt - now),
          priority: RECOMPUTE_PRIORITY.newData,
          deduplication: { id: `${userId}@${runAt}`, keepLastIfActive: true },
          ...RECOMPUTE_JOB_OPTIONS,
        },
      };
    }),
  );
}

export class RecomputeTimeoutError extends NamedError {
  constructor(readonly timeoutMs: number) {
    super(`the recompute did not finish within ${timeoutMs} ms`);
  }
}

/**
 * The priority path of POST /api/analytics/predictions/generate: ahead of the debounce and
 * of queued work, and still one recompute of the user. The job shares the debounced jobs'
 * deduplication id, so:
 * - no recompute of the user is queued: a new job with the first priority;
 * - one is waiting or debounced (it has not started, so it will see every stored row): that
 *   job is brought forward (promoted, first priority) and waited for;
 * - one is running (it may have loaded before the latest rows): BullMQ keeps this request
 *   as the user's next job, created with the first priority when the running one ends; that
 *   next job is waited for.
 * Resolves when the job has finished, rejects with RecomputeTimeoutError after `timeoutMs`,
 * or with the job's reason if it failed. It polls the job's state rather than listening on
 * QueueEvents: the call is rare and bounded, and a QueueEvents would hold a blocking
 * connection in every API process (whose close can hang while that connection is
 * reconnecting after a Redis restart).
 */
export async function recomputeNow(queue: Queue, data: RecomputeJobData, timeoutMs = 10_000, pollMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const added = await queue.add(RECOMPUTE_JOB_NAME, data, {
    priority: RECOMPUTE_PRIORITY.generate,
    deduplication: { id: data.userId, keepLastIfActive: true },
    attempts: 1,
    removeOnComplete: { age: 600 },
    removeOnFail: { age: 3_600 },
  });
  let jobId = added.id!;
  for (;;) {
    const state = await queue.getJobState(jobId);
    if (state === 'delayed' || state === 'waiting' || state === 'prioritized') await bringForward(queue, jobId, state);
    else if (state === 'active') {
      await finished(queue, jobId, { deadline, timeoutMs, pollMs }, { ignoreFailure: true });
      const next = await queue.getDeduplicationJobId(data.userId);
      // No next job: this request was deduplicated onto a job that had not started yet.
      if (next === null || next === jobId) return;
      jobId = next;
      continue;
    }
    return finished(queue, jobId, { deadline, timeoutMs, pollMs }, { ignoreFailure: false });
  }
}

/** Moves a queued recompute to the front: promoted out of its debounce, first priority. */
async function bringForward(queue: Queue, jobId: string, state: string): Promise<void> {
  const job = await queue.getJob(jobId);
  // It may start (or end) meanwhile: then there is nothing left to bring forward.
  if (state === 'delayed') await job?.promote().catch(() => undefined);
  if (job?.priority !== RECOMPUTE_PRIORITY.generate) await job?.changePriority({ priority: RECOMPUTE_PRIORITY.generate }).catch(() => undefined);
}

async function finished(queue: Queue, jobId: string, wait: { deadline: number; timeoutMs: number; pollMs: number }, options: { ignoreFailure: boolean }): Promise<void> {
  for (;;) {
    const state = await queue.getJobState(jobId);
    // 'unknown': removed after completion (removeOnComplete) — it ran.
    if (state === 'completed' || state === 'unknown') return;
    if (state === 'failed') {
      if (options.ignoreFailure) return;
      throw new Error(`recompute failed: ${(await queue.getJob(jobId))?.failedReason ?? 'no reason recorded'}`);
    }
    if (Date.now() >= wait.deadline) throw new RecomputeTimeoutError(wait.timeoutMs);
    await new Promise((resolve) => setTimeout(resolve, wait.pollMs));
  }
}
