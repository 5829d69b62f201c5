import type { JobsOptions } from 'bullmq';

/** The queues of SPEC section 3, plus the pipeline's own. Names are part of the contract. */
export const QUEUE_NAMES = {
  behavioralEvent: 'behavioral-event',
  sessionCompleted: 'session-completed',
  recompute: 'recompute',
  maintenance: 'maintenance',
} as const;
export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];

export const SESSION_JOB_NAME = 'session-completed';

/**
 * Ingest jobs: retried with exponential backoff on transient failures (PostgreSQL down:
 * 8 attempts: waits of 0.5 s doubling to 32 s, about 64 s in all); completed jobs trimmed, failed jobs kept a week.
 */
export const EVENT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: { age: 3_600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3_600 },
};

/**
 * What the typed publisher attaches to a job for tracing; workers strip it before validation
 * and read it with readJobTrace (job-trace.ts), which also takes epoch milliseconds and
 * ignores what is no instant.
 */
export interface JobTrace {
  requestId?: string;
  publishedAt: string;
}
