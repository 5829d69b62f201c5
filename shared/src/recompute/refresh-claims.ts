import { LRUCache } from 'lru-cache';
import { userRefreshKey } from '../contracts/cache-keys';
import type { RedisClient } from '../redis/redis-connection';

/**
 * Which API process asks for a user's refresh of aged aggregates (AgedRefresher): the one
 * that claims the user for the TTL. One implementation per mode:
 * - `redisRefreshClaims`: across any number of API processes, one SET NX PX per claim;
 * - `localRefreshClaims`: in this process's memory, for the embedded mode's single API process.
 */
export interface RefreshClaims {
  /** True when this caller won the user for `ttlMs`; rejects when the claim could not be made. */
  claim(userId: string, ttlMs: number): Promise<boolean>;
}

export function redisRefreshClaims(redis: RedisClient, cachePrefix: string): RefreshClaims {
  return {
    async claim(userId, ttlMs) {
      return (await redis.set(userRefreshKey(cachePrefix, userId), '1', 'PX', ttlMs, 'NX')) === 'OK';
    },
  };
}

export function localRefreshClaims(options: { now?: () => number } = {}): RefreshClaims {
  const until = new LRUCache<string, number>({ max: 100_000 });
  const now = options.now ?? (() => Date.now());
  return {
    async claim(userId, ttlMs) {
      const at = now();
      if ((until.get(userId) ?? 0) > at) return false;
      until.set(userId, at + ttlMs);
      return true;
    },
  };
}
