import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { HybridCache, type HybridCacheOptions } from '@shared/cache/hybrid-cache';
import { closeRedis, createRedisConnection, waitForRedis, type RedisClient } from '@shared/redis/redis-connection';

export const SHARED_REDIS = 'redis://127.0.0.1:6379';

/** Caches on real Redis with a random prefix; `cleanup()` closes them and deletes their keys. */
export function cacheFactory(url = SHARED_REDIS) {
  const prefix = `t${randomBytes(4).toString('hex')}`;
  const connections: RedisClient[] = [];
  const caches: HybridCache[] = [];
  const connect = (role: 'cache' | 'subscriber') => {
    const client = createRedisConnection({ mode: 'standalone', url }, role);
    client.on('error', () => undefined);
    connections.push(client);
    return client;
  };
  return {
    prefix,
    connect,
    async create(options: Partial<HybridCacheOptions> = {}): Promise<HybridCache> {
      const redis = options.redis === undefined ? connect('cache') : options.redis;
      if (redis) await waitForRedis(redis);
      const cache = new HybridCache({
        redis,
        subscriber: options.subscriber === undefined ? connect('subscriber') : options.subscriber,
        prefix,
        l1MaxEntries: 1000,
        l1MaxBytes: 10 * 1024 * 1024,
        registry: new Registry(),
        ...options,
      });
      await cache.ready();
      caches.push(cache);
      return cache;
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
