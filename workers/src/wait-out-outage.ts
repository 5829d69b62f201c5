import { DelayedError, type Job } from 'bullmq';
import { isDatabaseUnavailable } from '@shared/db/database-errors';

/** How long a job waits before it tries PostgreSQL again: grows with the outage, capped. */
export function outageRetryDelayMs(jobAgeMs: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, Math.max(1_000, jobAgeMs / 4));
  // Jitter, so the jobs of one outage do not all come back in the same instant.
  return Math.round(base * (0.75 + 0.5 * random()));
}

/**
 * Runs a job's work; when PostgreSQL is unavailable, puts the job back as delayed without
 * spending an attempt, however long the outage lasts. Attempts are for failures of the
 * job itself: an outage that outlasted them would strand accepted events in the failed set
 * (and a job from another client may carry `attempts: 1`). Other errors go on as usual.
 */
export async function waitingOutDatabaseOutages<T>(job: Job, token: string | undefined, onDeferred: () => void, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!token || !isDatabaseUnavailable(error)) throw error;
    onDeferred();
    await job.moveToDelayed(Date.now() + outageRetryDelayMs(Date.now() - job.timestamp), token);
    throw new DelayedError();
  }
}
