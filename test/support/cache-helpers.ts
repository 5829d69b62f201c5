import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { CacheWriter } from '@shared/cache/cache-writer';
import { decodeEntry } from '@shared/cache/l2-cache';
import { InvalidationBus } from '@shared/cache/invalidation-bus';
import { ReadCache, type ReadCacheOptions } from '@shared/cache/read-cache';
import { userKeySpace } from '@shared/contracts/cache-keys';
import { closeRedis, createRedisConnection, waitForRedis, type RedisClient } from '@shared/redis/redis-connection';

export const SHARED_REDIS = 'redis://127.0.0.1:6379';

/**
 * Caches on real Redis with a random prefix: readers (as an API holds them: L1, L2, the
 * invalidation bus) and writers (as a worker does); `cleanup()` closes them and deletes
 * their keys.
 */
export function cacheFactory(url = SHARED_REDIS) {
  const prefix = `t${randomBytes(4).toString('hex')}`;
  const connections: RedisClient[] = [];
  const keys = userKeySpace(prefix);
  const caches: ReadCache[] = [];
  const connect = (role: 'cache' | 'subscriber' | 'writer') => {
    const client = createRedisConnection({ mode: 'standalone', url }, role);
    client.on('error', () => undefined);
    connections.push(client);
    return client;
  };
  return {
    prefix,
    connect,
    keys,
    /** A reader; `subscriber: null` for one that hears no invalidations. */
    async create(options: Partial<ReadCacheOptions> & { subscriber?: RedisClient | null } = {}): Promise<ReadCache> {
      const { subscriber: given, ...rest } = options;
      const redis = rest.redis === undefined ? connect('cache') : rest.redis;
      if (redis) await waitForRedis(redis);
      const subscriber = given === undefined ? connect('subscriber') : given;
      const cache = new ReadCache({
        keys,
        redis,
        invalidations: subscriber ? new InvalidationBus(subscriber, keys.invalidationChannel) : null,
        l1MaxEntries: 1000,
        l1MaxBytes: 10 * 1024 * 1024,
        registry: new Registry(),
        ...rest,
      });
      await cache.ready();
      caches.push(cache);
      return cache;
    },
    /** A writer, on a connection of its own unless given one. */
    async writer(redis: RedisClient = connect('writer')): Promise<CacheWriter> {
      await waitForRedis(redis);
      return new CacheWriter({ redis, keys, registry: new Registry() });
    },
    async cleanup(): Promise<void> {
      await Promise.all(caches.map((c) => c.close()));
      const admin = connections.find((c) => c.status === 'ready');
      if (admin) {
        const keys: string[] = [];
        const stream = (admin as import('ioredis').Redis).scanStream({ match: `${prefix}:*`, count: 1000 });
        for await (const batch of stream) keys.push(...(batch as string[]));
        if (keys.length > 0) await admin.del(...keys);
      }
      await Promise.all(connections.map(closeRedis));
    },
  };
}

export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** What L2 holds under `key` (a worker's write-through, as any API would read it), or undefined. */
export async function l2Value<T>(redis: RedisClient, key: string): Promise<T | undefined> {
  const payload = await redis.get(key);
  return payload === null ? undefined : (JSON.parse(decodeEntry(payload).json) as T);
}
