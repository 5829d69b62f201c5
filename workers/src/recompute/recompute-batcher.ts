import { LRUCache } from 'lru-cache';
import { RecomputeFailure, type RecomputeOutcome, type RecomputeResults } from '@shared/recompute/recompute-users';

/**
 * The part of the policy the environment does not set (RECOMPUTE_BATCH_USERS and
 * RECOMPUTE_BATCH_ROWS do). Two batches in flight: while one computes in Node the other
 * waits on PostgreSQL, so both halves of the work overlap; a third only queues on the same
 * cores. A lone job waits 2 ms for company: nothing beside the debounce it already waited.
 */
export const RECOMPUTE_BATCH_POLICY = { maxInFlight: 2, maxWaitMs: 2 } as const;

/** The jobs a worker runs at once: enough to fill the batches in flight and the next one. */
export function jobsFillingBatches(options: Pick<RecomputeBatcherOptions, 'maxUsers' | 'maxInFlight'>): number {
  return options.maxUsers * (options.maxInFlight + 1);
}

export interface RecomputeBatcherOptions {
  run: (userIds: string[]) => Promise<RecomputeResults>;
  maxUsers: number;
  maxRows: number;
  maxInFlight: number;
  maxWaitMs: number;
  typicalRows?: number;
  /** Called with the size of every batch started. */
  onBatch?: (users: number) => void;
}

interface Waiter {
  resolve: (outcome: RecomputeOutcome) => void;
  reject: (error: Error) => void;
}

/**
 * Turns the recompute jobs that a worker runs at once into batches: each `recompute(userId)`
 * resolves with that user's own outcome (or rejects with that user's own error) once the
 * batch holding it is done, so every job still completes only when its user is stored.
 *
 * At low load a job waits `maxWaitMs` and its batch is one user; under load, users pile up
 * while `maxInFlight` batches run and the next batch takes them all, up to `maxUsers` and
 * `maxRows`. The row bound uses each user's size at its previous computation (unknown
 * users count as `typicalRows`), so a user with a huge history runs in a batch of its own
 * instead of holding up light ones. The same user asked for twice shares one computation.
 */
export class RecomputeBatcher {
  /** Users waiting for a batch, in arrival order, each with the jobs waiting for it. */
  private readonly pending = new Map<string, Waiter[]>();
  private readonly knownRows = new LRUCache<string, number>({ max: 100_000 });
  private readonly running = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: RecomputeBatcherOptions) {
    if (options.maxUsers < 1 || options.maxInFlight < 1) throw new RangeError('maxUsers and maxInFlight must be at least 1');
  }

  recompute(userId: string): Promise<RecomputeOutcome> {
    return new Promise<RecomputeOutcome>((resolve, reject) => {
      const waiters = this.pending.get(userId);
      if (waiters) waiters.push({ resolve, reject });
      else this.pending.set(userId, [{ resolve, reject }]);
      if (this.pending.size >= this.options.maxUsers) this.kick();
      else this.timer ??= setTimeout(() => this.kick(), this.options.maxWaitMs);
    });
  }

  /** Runs everything pending; resolves when no batch is left (shutdown). */
  async flush(): Promise<void> {
    while (this.pending.size > 0 || this.running.size > 0) {
      this.kick();
      await Promise.race(this.running);
    }
  }

  get waiting(): number {
    return this.pending.size;
  }

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.pending.size > 0 && this.running.size < this.options.maxInFlight) {
      const batch = this.takeBatch();
      const run: Promise<void> = this.runBatch(batch).finally(() => {
        this.running.delete(run);
        if (this.pending.size > 0) this.kick();
      });
      this.running.add(run);
    }
  }

  private takeBatch(): Map<string, Waiter[]> {
    const batch = new Map<string, Waiter[]>();
    let rows = 0;
    for (const [userId, waiters] of this.pending) {
      const size = this.knownRows.get(userId) ?? this.options.typicalRows ?? 200;
      if (batch.size > 0 && (batch.size >= this.options.maxUsers || rows + size > this.options.maxRows)) {
        // A heavy user waits for a batch of its own; lighter ones behind it may still fit.
        if (batch.size >= this.options.maxUsers) break;
        continue;
      }
      batch.set(userId, waiters);
      rows += size;
    }
    for (const userId of batch.keys()) this.pending.delete(userId);
    return batch;
  }

  private async runBatch(batch: Map<string, Waiter[]>): Promise<void> {
    this.options.onBatch?.(batch.size);
    let results: RecomputeResults;
    try {
      results = await this.options.run([...batch.keys()]);
    } catch (error) {
      for (const waiters of batch.values()) for (const w of waiters) w.reject(error as Error);
      return;
    }
    for (const [userId, waiters] of batch) {
      const outcome = results.get(userId) ?? new RecomputeFailure(new Error(`the recompute batch returned nothing for user ${userId}`));
      if (!(outcome instanceof RecomputeFailure)) this.knownRows.set(userId, outcome.rows);
      for (const w of waiters) {
        if (outcome instanceof RecomputeFailure) w.reject(outcome.error);
        else w.resolve(outcome);
      }
    }
  }
}
