import { MemoryStore } from 'express-rate-limit';
import { localRefreshClaims, redisRefreshClaims, type RefreshClaims } from '@shared/recompute/refresh-claims';
import type { RedisClient } from '@shared/redis/redis-connection';
import type { RuntimeReport } from './features/health/health-controller';
import type { RateLimitOptions } from './http/rate-limit';

/**
 * What the API uses Redis for besides the cache and the queues, as named seams with one
 * implementation per mode (chosen by the composition root, main.ts):
 * - readiness and the Redis gauges: the Redis connection, or none (reported absent);
 * - rate limits: counters in Redis shared by every API instance, or in memory (the embedded
 *   mode has exactly one API process);
 * - claims of aged-aggregate refreshes: SET NX across instances, or in memory.
 */
export interface ApiSeams {
  runtime: RuntimeReport;
  /** Health and metrics probe it; null: there is none. */
  redis: RedisClient | null;
  /** Where one rate limit (its key prefix given) counts. */
  rateLimitStore(prefix: string): Pick<RateLimitOptions, 'redis' | 'store'>;
  refreshClaims: RefreshClaims;
}

export function serverApiSeams(redis: RedisClient, cachePrefix: string): ApiSeams {
  return {
    runtime: { mode: 'server', absent: [] },
    redis,
    rateLimitStore: () => ({ redis }),
    refreshClaims: redisRefreshClaims(redis, cachePrefix),
  };
}

export function embeddedApiSeams(): ApiSeams {
  return {
    runtime: { mode: 'embedded', absent: ['redis', 'l2'] },
    redis: null,
    rateLimitStore: () => ({ store: new MemoryStore() }),
    refreshClaims: localRefreshClaims(),
  };
}
