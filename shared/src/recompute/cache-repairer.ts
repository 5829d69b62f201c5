import type { Database } from '../db/database';
import type { Logger } from '../logger/logger';
import type { AggregateWriteThrough } from '../cache/write-through';
import { clearCacheRepairs, pendingCacheRepairs } from '../store/cache-repairs';

export interface CacheRepairerDeps {
  db: Pick<Database, 'pool'>;
  cache: Pick<AggregateWriteThrough, 'invalidateUsers'>;
  logger?: Logger;
  /** How often the marks are looked at (one indexed read of a table that is almost always empty). */
  intervalMs?: number;
  /** Users per round. */
  batchSize?: number;
}

export interface RepairRound {
  repaired: number;
  /** Marked users this round could not repair (Redis still failing). */
  failed: number;
}

/**
 * Completes the write-throughs that Redis failed: the users in cache_repairs have fresher
 * aggregates in PostgreSQL than in their cache entries, so their entries are invalidated in
 * L2 and in every API's L1 (the next read loads the stored rows) and their marks removed.
 * Runs in every worker process and at the end of `pnpm recompute`; rounds are idempotent,
 * so several repairers at once only repeat an invalidation.
 */
export class CacheRepairer {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<RepairRound> | undefined;

  constructor(private readonly deps: CacheRepairerDeps) {}

  /** Repairs every marked user it can, a batch at a time; stops at the first batch Redis refuses. */
  async repairAll(): Promise<RepairRound> {
    const total: RepairRound = { repaired: 0, failed: 0 };
    for (;;) {
      const { userIds, markedUpTo } = await pendingCacheRepairs(this.deps.db.pool, this.deps.batchSize ?? 500);
      if (userIds.length === 0 || markedUpTo === null) return total;
      const done = await this.deps.cache.invalidateUsers(userIds);
      await clearCacheRepairs(this.deps.db.pool, [...done], markedUpTo);
      total.repaired += done.size;
      if (done.size < userIds.length) {
        total.failed += userIds.length - done.size;
        return total;
      }
    }
  }

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.deps.intervalMs ?? 1_000).unref();
  }

  /** Stops the timer and waits for a round in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.round?.catch(() => undefined);
  }

  private async tick(): Promise<void> {
    if (this.round) return;
    this.round = this.repairAll();
    try {
      const { repaired, failed } = await this.round;
      if (repaired > 0) this.deps.logger?.info({ repaired, failed }, 'stale cache entries invalidated after a failed write-through');
    } catch (error) {
      this.deps.logger?.debug({ err: (error as Error).message }, 'cache repair round failed; next round retries');
    } finally {
      this.round = undefined;
    }
  }
}
