import { UnrecoverableError, type Job, type Queue, type Worker } from 'bullmq';
import type { z } from 'zod';
import { readJobTrace } from '@shared/queues/job-trace';
import type { PipelineMetrics } from '@shared/metrics/pipeline-metrics';
import type { Logger } from '@shared/logger/logger';
import type { WorkerConnection } from '@shared/queues/queue-backend';
import { issueDetails } from '@shared/contracts/batch';
import { enqueueRecomputes } from '@shared/recompute/recompute-queue';
import { createQueueWorker, type WorkerLocks } from '../queue-worker';
import { waitingOutDatabaseOutages } from '../wait-out-outage';
import { RowBatcher } from './row-batcher';

/**
 * One ingest worker (behavioral-event or session-completed), in three named steps, each
 * timed in `ingest_step_duration_seconds{step}`: validate (per job) → insert (a batch of
 * the jobs running at once, one statement) → mark dirty (the batch's users' recomputes).
 * Malformed payloads fail at once as unrecoverable (kept in the failed set with the
 * reason); PostgreSQL being down is waited out (the job goes back to delayed, no attempt
 * spent); anything else is retried with backoff.
 */
export interface IngestRow {
  userId: string;
  /** When the job was published (its `_trace`, else its enqueue time), epoch milliseconds. */
  publishedAtMs: number;
  requestId?: string;
}

/**
 * Per user, the row published first: its recompute makes all of them visible, and its lag
 * is the freshness the user saw. Compared as instants, never as text: `…T10:00:00+01:00`
 * is earlier than `…T09:30:00Z`, and epoch milliseconds are no ISO string at all.
 */
export function earliestPerUser(rows: Iterable<IngestRow>): IngestRow[] {
  const earliest = new Map<string, IngestRow>();
  for (const row of rows) {
    const seen = earliest.get(row.userId);
    if (!seen || row.publishedAtMs < seen.publishedAtMs) earliest.set(row.userId, row);
  }
  return [...earliest.values()];
}

export interface IngestWorkerOptions<T extends { userId: string }> {
  queueName: string;
  schema: z.ZodType<T>;
  /** Writes a batch of rows idempotently; returns how many were new. */
  insert: (rows: T[]) => Promise<number>;
  table: string;
  /** Where the queues live (see createQueueWorker). */
  queueBackend: WorkerConnection;
  concurrency: number;
  recomputeQueue: Queue;
  debounceMs: number;
  metrics: PipelineMetrics;
  logger: Logger;
  locks: WorkerLocks;
  /** Rows per insert at most, and a lone row's wait for others (Config.ingestBatch). */
  batching: { maxRows: number; maxWaitMs: number };
}

interface Item<T> {
  row: T;
  trace: IngestRow;
}

/** The first ten issues of a malformed payload, on one line (the failed job's reason). */
export function describeIssues(error: z.ZodError): string {
  return issueDetails(error, '(payload)')
    .slice(0, 10)
    .map((issue) => `${issue.path}: ${issue.message}`)
    .join('; ');
}

export class IngestWorker<T extends { userId: string }> {
  readonly worker: Worker;
  private readonly batcher: RowBatcher<Item<T>>;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: IngestWorkerOptions<T>) {
    this.batcher = new RowBatcher((items) => this.writeBatch(items), { maxBatch: options.batching.maxRows, maxWaitMs: options.batching.maxWaitMs });
    this.worker = createQueueWorker({
      queueName: options.queueName,
      process: (job, token) => this.process(job, token),
      queueBackend: options.queueBackend,
      concurrency: options.concurrency,
      locks: options.locks,
      metrics: options.metrics,
      logger: options.logger,
    });
  }

  /** Times one step of the ingest path. */
  private async step<R>(name: 'validate' | 'insert' | 'mark_dirty', work: () => R | Promise<R>): Promise<R> {
    const stop = this.options.metrics.ingestStepSeconds.startTimer({ queue: this.options.queueName, step: name });
    try {
      return await work();
    } finally {
      stop();
    }
  }

  /** Stops taking jobs, lets the ones in flight finish (their batch is written), then returns. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = this.worker.close();
      await this.batcher.flush();
      await closed;
      await this.batcher.flush();
    })();
    return this.closing;
  }

  private async process(job: Job, token?: string): Promise<void> {
    const item = await this.step('validate', () => this.validate(job));
    await waitingOutDatabaseOutages(job, token, () => this.options.metrics.deferred.inc({ queue: this.options.queueName }), () => this.batcher.add(item));
  }

  private validate(job: Job): Item<T> {
    const { _trace, ...payload } = (job.data ?? {}) as { _trace?: unknown } & Record<string, unknown>;
    const parsed = this.options.schema.safeParse(payload);
    if (!parsed.success) {
      this.options.metrics.rejected.inc({ queue: this.options.queueName });
      throw new UnrecoverableError(`invalid payload: ${describeIssues(parsed.error)}`);
    }
    // The event is valid, so the job is stored whatever its _trace holds: what is unusable there is ignored and counted.
    const trace = readJobTrace(_trace);
    for (const field of trace.ignored) this.options.metrics.traceIgnored.inc({ queue: this.options.queueName, field });
    return { row: parsed.data, trace: { userId: parsed.data.userId, publishedAtMs: trace.publishedAtMs ?? job.timestamp, requestId: trace.requestId } };
  }

  private async writeBatch(items: Item<T>[]): Promise<void> {
    const inserted = await this.step('insert', () => this.options.insert(items.map((i) => i.row)));
    this.options.metrics.rowsInserted.inc({ table: this.options.table }, inserted);
    this.options.metrics.batchSize.observe({ table: this.options.table }, items.length);
    if (this.options.logger.isLevelEnabled('debug')) {
      const requestIds = [...new Set(items.flatMap((i) => (i.trace.requestId ? [i.trace.requestId] : [])))];
      this.options.logger.debug({ queue: this.options.queueName, rows: items.length, inserted, requestIds }, 'batch stored');
    }
    // Always mark dirty, even when nothing was new: a redelivered job whose first attempt
    // inserted its row but died before this step must still trigger the recompute.
    const earliest = earliestPerUser(items.map((i) => i.trace));
    await this.step('mark_dirty', () =>
      enqueueRecomputes(
        this.options.recomputeQueue,
        earliest.map((trace) => ({ userId: trace.userId, publishedAt: new Date(trace.publishedAtMs).toISOString(), requestId: trace.requestId })),
        this.options.debounceMs,
      ),
    );
  }
}
