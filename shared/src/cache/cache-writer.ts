import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger/logger';
import type { RedisClient } from '../redis/redis-connection';
import { encodeInvalidation } from './invalidation-bus';
import { InvalidKeyError, type CacheKeySpace } from './key-space';
import { encodeEntry, L2Cache, UNAVAILABLE } from './l2-cache';
import { DEFAULT_GRACE_MS, DEFAULT_TTL_MS, entryLifetime, type TtlClass } from './ttl';
import type { AggregateWriteThrough, UserEntries } from './write-through';

export interface CacheWriterOptions {
  /** A fail-fast connection (role 'cache'). Not closed by the writer. */
  redis: RedisClient;
  /** The keys' layout (contracts/cache-keys: `userKeySpace(cachePrefix)`), the same the API reads with. */
  keys: CacheKeySpace;
  /** Every TTL class's TTL (Config.cache.ttlMs). @defaultValue DEFAULT_TTL_MS */
  ttlMs?: Record<TtlClass, number>;
  graceMs?: number;
  registry?: Registry;
  logger?: Logger;
}

/**
 * The cache as a worker uses it: write-only. A recompute batch becomes one round trip per
 * Redis node (each user's entries replaced atomically by a script) and ONE bus message, so
 * every API drops the batch's users from its L1. No L1 and no subscription here: a process
 * that only computes never reads the cache.
 */
export class CacheWriter implements AggregateWriteThrough {
  private readonly l2: L2Cache;
  private readonly ttl: Record<TtlClass, number>;
  private readonly graceMs: number;
  private readonly channel: string;
  private readonly origin = randomUUID();

  constructor(private readonly options: CacheWriterOptions) {
    this.l2 = new L2Cache(options.redis, options.keys, options.logger, options.registry);
    this.ttl = options.ttlMs ?? DEFAULT_TTL_MS;
    this.graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
    this.channel = options.keys.invalidationChannel;
  }

  async writeThroughUsers(users: readonly UserEntries[]): Promise<Set<string>> {
    const now = Date.now();
    const prepared = users.map((user) => ({
      userId: user.userId,
      entries: user.entries.map((entry) => {
        if (this.options.keys.userOf(entry.key) !== user.userId) throw new InvalidKeyError(`key ${entry.key} does not belong to user ${user.userId}`);
        const { expiresAt, staleUntil, pxMs } = entryLifetime(this.ttl[entry.ttlClass], this.graceMs, now);
        return { key: entry.key, payload: encodeEntry(entry.json, expiresAt, staleUntil), pxMs };
      }),
    }));
    return this.l2.writeThroughMany(prepared, (userIds) => ({ channel: this.channel, message: encodeInvalidation(this.origin, userIds) }));
  }

  /**
   * Drops users' entries from L2 (a generation bump: a racing fill cannot put them back) and
   * then, in ONE bus message, from every API's L1. Resolves with the users Redis took.
   */
  async invalidateUsers(userIds: readonly string[]): Promise<Set<string>> {
    const done = new Set<string>();
    const outcomes = await Promise.all(userIds.map((userId) => this.l2.invalidate(userId)));
    outcomes.forEach((outcome, i) => outcome !== UNAVAILABLE && done.add(userIds[i]!));
    if (done.size > 0 && !(await this.l2.publish(this.channel, encodeInvalidation(this.origin, [...done])))) return new Set();
    return done;
  }

  isRedisHealthy(): boolean {
    return this.l2.isHealthy();
  }

  get fallbackCount(): number {
    return this.l2.fallbackCount;
  }
}
