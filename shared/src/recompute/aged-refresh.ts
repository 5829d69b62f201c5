import type { Queue } from 'bullmq';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../logger/logger';
import type { PipelineMetrics } from '../metrics/pipeline-metrics';
import type { RedisClient } from '../redis/redis-connection';
import { enqueueRecompute } from './recompute-queue';
import { redisRefreshClaims, type RefreshClaims } from './refresh-claims';

/** Whether a computation made at `computedAtMs` is older than `ttlMs` at `nowMs` (SPEC 6: a TTL bounds the age of what is served). */
export function isAged(computedAtMs: number, ttlMs: number, nowMs: number): boolean {
  return nowMs - computedAtMs > ttlMs;
}

/**
 * Asks for one recompute of a user whose served aggregates are older than their TTL,
 * however many reads find them aged, in however many API processes: each process asks at
 * most once per user and TTL (an in-memory mark), and across processes one SET NX with the
 * TTL as expiry decides which of them enqueues (RefreshClaims: in memory when there is one API process). The job goes through the recompute lane of
 * events, deduplicated with any recompute of the user already queued. Fire-and-forget: a
 * Redis or queue failure is counted and logged, never thrown to the read.
 */
export class AgedRefresher {
  private readonly askedUntil = new LRUCache<string, number>({ max: 100_000 });
  private readonly claims: RefreshClaims;

  constructor(
    private readonly deps: {
      /** A fail-fast connection (the producer's): claims by SET NX, unless `claims` is given. */
      redis?: RedisClient;
      claims?: RefreshClaims;
      recomputeQueue: Queue;
      cachePrefix: string;
      metrics: Pick<PipelineMetrics, 'refreshRequests'>;
      logger?: Logger;
      now?: () => number;
    },
  ) {
    const claims = deps.claims ?? (deps.redis ? redisRefreshClaims(deps.redis, deps.cachePrefix) : undefined);
    if (!claims) throw new TypeError('AgedRefresher needs claims or a Redis connection');
    this.claims = claims;
  }

  request(userId: string, ttlMs: number): void {
    const now = this.deps.now?.() ?? Date.now();
    if ((this.askedUntil.get(userId) ?? 0) > now) return;
    this.askedUntil.set(userId, now + ttlMs);
    void this.enqueueOnce(userId, ttlMs).then(
      (queued) => this.deps.metrics.refreshRequests.inc({ result: queued ? 'queued' : 'deduplicated' }),
      (error: Error) => {
        // Asked again by the next read after the TTL; meanwhile what is stored is served.
        this.askedUntil.delete(userId);
        this.deps.metrics.refreshRequests.inc({ result: 'failed' });
        this.deps.logger?.debug({ userId, err: error.message }, 'could not ask for a refresh of aged aggregates');
      },
    );
  }

  private async enqueueOnce(userId: string, ttlMs: number): Promise<boolean> {
    if (!(await this.claims.claim(userId, ttlMs))) return false;
    await enqueueRecompute(this.deps.recomputeQueue, { userId, reason: 'aged' }, 0);
    return true;
  }
}
