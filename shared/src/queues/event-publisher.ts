import type { Queue } from 'bullmq';
import type { z } from 'zod';
import { validateBatch } from '../contracts/batch';
import { behavioralEventSchemaAt, type BehavioralEvent } from '../contracts/behavioral-event';
import { sessionCompletedSchemaAt, type SessionCompleted } from '../contracts/session-completed';
import { DependencyUnavailableError, ValidationError } from '../errors/errors';
import type { RedisClient } from '../redis/redis-connection';
import { redisQueueBackend, type QueueBackend } from './queue-backend';
import { EVENT_JOB_OPTIONS, QUEUE_NAMES, SESSION_JOB_NAME, type JobTrace } from './queue-names';

export interface PublishOptions {
  requestId?: string;
}

const ENQUEUE_TIMEOUT_MS = 3_000;

/**
 * What the study app imports: validates, then enqueues a batch with one addBulk (job id =
 * eventId / sessionId, so a duplicate is dropped by BullMQ while the first job exists, and by
 * the store after). The contract, as the API's 202 / 503 state it:
 * - resolved (202): every event is queued;
 * - ValidationError (400): one item is invalid, nothing is enqueued;
 * - DependencyUnavailableError (503 means some of them may be queued): BullMQ 6's addBulk is
 *   a pipeline of one script per job, not a transaction, so the jobs Redis took before it
 *   failed stay queued. Re-sending the same batch is safe: the same ids, deduplicated as above.
 * A transaction (MULTI) would make a batch all or nothing on Redis, at the cost of every
 * ingest batch blocking Redis for its whole length; it was not measured against today's
 * ingest rate, so the contract says what the pipeline does.
 */
export class EventPublisher {
  private readonly events: Queue;
  private readonly sessions: Queue;
  private readonly eventSchema: ReturnType<typeof behavioralEventSchemaAt>;
  private readonly sessionSchema: ReturnType<typeof sessionCompletedSchemaAt>;
  private closing: Promise<void> | undefined;
  private readonly backend: QueueBackend;

  /**
   * `connection`: a fail-fast connection (role 'producer'); not closed by close(). Or
   * `backend`: the queue store of the process (the embedded mode's PostgreSQL).
   */
  constructor(private readonly options: ({ connection: RedisClient; prefix: string } | { backend: QueueBackend }) & { now?: () => number }) {
    this.backend = 'backend' in options ? options.backend : redisQueueBackend(options.connection, options.prefix);
    this.events = this.backend.queue(QUEUE_NAMES.behavioralEvent, { skipWaitingForReady: true });
    this.sessions = this.backend.queue(QUEUE_NAMES.sessionCompleted, { skipWaitingForReady: true });
    const now = options.now ?? (() => Date.now());
    this.eventSchema = behavioralEventSchemaAt(now);
    this.sessionSchema = sessionCompletedSchemaAt(now);
    for (const queue of [this.events, this.sessions]) queue.on('error', () => undefined);
  }

  async publishEvent(event: unknown, options: PublishOptions = {}): Promise<{ accepted: number }> {
    return this.publishEvents([event], options);
  }

  async publishEvents(events: unknown[], options: PublishOptions = {}): Promise<{ accepted: number }> {
    const valid = this.validate(events, this.eventSchema, 'events');
    await this.enqueue(
      this.events,
      valid.map((event: BehavioralEvent) => ({ name: event.type, id: event.eventId, data: event })),
      options,
    );
    return { accepted: valid.length };
  }

  async publishSessionCompleted(sessions: unknown, options: PublishOptions = {}): Promise<{ accepted: number }> {
    const valid = this.validate(Array.isArray(sessions) ? sessions : [sessions], this.sessionSchema, 'sessions');
    await this.enqueue(
      this.sessions,
      valid.map((session: SessionCompleted) => ({ name: SESSION_JOB_NAME, id: session.sessionId, data: session })),
      options,
    );
    return { accepted: valid.length };
  }

  close(): Promise<void> {
    this.closing ??= Promise.allSettled([this.events.close(), this.sessions.close()]).then(() => undefined);
    return this.closing;
  }

  private validate<T>(items: unknown, schema: z.ZodType<T>, what: string): T[] {
    const result = validateBatch(items, schema);
    if (!result.ok) throw new ValidationError(`invalid ${what}: ${result.message}`, result.errors);
    return result.items;
  }

  private async enqueue(queue: Queue, jobs: { name: string; id: string; data: object }[], options: PublishOptions): Promise<void> {
    if (!this.backend.acceptsJobs()) {
      throw new DependencyUnavailableError('redis', 'the queue is unavailable (Redis is not connected); retry later');
    }
    const trace: JobTrace = { publishedAt: new Date().toISOString(), ...(options.requestId ? { requestId: options.requestId } : {}) };
    const bulk = jobs.map((job) => ({ name: job.name, data: { ...job.data, _trace: trace }, opts: { ...EVENT_JOB_OPTIONS, jobId: job.id } }));
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        queue.addBulk(bulk),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ENQUEUE_TIMEOUT_MS} ms`)), ENQUEUE_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      throw new DependencyUnavailableError('redis', 'the queue is unavailable (Redis did not take the batch); retry later', 1, error);
    } finally {
      clearTimeout(timer);
    }
  }
}
