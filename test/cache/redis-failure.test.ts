import { cacheKey } from '@shared/contracts/cache-keys';
import { startRedisServer, type PrivateRedis } from '../../scripts/dev/redis-server';
import { cacheFactory, eventually } from '../support/cache-helpers';

let redis: PrivateRedis;
let factory: ReturnType<typeof cacheFactory>;
const opts = { ttlClass: 'behavioralPatterns' as const };

beforeAll(async () => {
  redis = await startRedisServer();
  factory = cacheFactory(redis.url);
});
afterAll(async () => {
  await factory.cleanup();
  await redis.stop();
});

describe('the cache when Redis dies and comes back', () => {
  it('keeps answering from L1 and the loader, counts fallbacks, and heals by itself', async () => {
    const cache = await factory.create();
    const writer = await factory.writer();
    const key = (u: string) => cacheKey(factory.prefix, { userId: u, aggregate: 'patterns', period: '-' });
    const write = (value: number) => writer.writeThroughUsers([{ userId: 'w', entries: [{ key: key('w'), json: String(value), ttlClass: 'behavioralPatterns' }] }]);
    await cache.getOrSet(key('warm'), async () => 'warm', opts);
    expect(cache.isRedisHealthy()).toBe(true);

    await redis.kill();
    await eventually(() => !cache.isRedisHealthy());
    const started = Date.now();
    expect(await cache.getOrSet(key('warm'), async () => 'x', opts)).toMatchObject({ value: 'warm', tier: 'l1' });
    expect(await cache.getOrSet(key('cold'), async () => 'from-db', opts)).toMatchObject({ value: 'from-db', tier: 'loader' });
    expect(await writer.invalidateUsers(['other'])).toEqual(new Set()); // must not throw either
    // Reported, so a worker can retry rather than leave the previous L2 entries in place.
    expect(await write(1)).toEqual(new Set());
    expect(Date.now() - started).toBeLessThan(5_000); // nothing waited on an offline queue
    expect(cache.getStats().stats.fallbackCount).toBeGreaterThanOrEqual(1);
    expect(writer.fallbackCount).toBeGreaterThanOrEqual(2);
    expect(cache.getStats().redisHealthy).toBe(false);

    await redis.restart();
    await eventually(() => cache.isRedisHealthy() && writer.isRedisHealthy(), 10_000);
    expect(await write(2)).toEqual(new Set(['w']));
    // L2 is used again: a value written now is a hit for a second instance.
    await cache.getOrSet(key('after'), async () => 'after', opts);
    const other = await factory.create();
    expect(await other.getOrSet(key('after'), async () => 'loader', opts)).toMatchObject({ value: 'after', tier: 'l2' });
  });

  it('drops its whole L1 when the bus reconnects, since it may have missed invalidations', async () => {
    const cache = await factory.create();
    const key = cacheKey(factory.prefix, { userId: 'resync', aggregate: 'patterns', period: '-' });
    await cache.getOrSet(key, async () => 'v1', opts);
    expect(cache.getStats().l1MemorySize).toBeGreaterThan(0);
    await redis.kill();
    await redis.restart();
    await eventually(() => cache.getStats().l1MemorySize === 0, 10_000);
    await eventually(() => cache.isRedisHealthy(), 10_000);
    expect((await cache.getOrSet(key, async () => 'v2', opts)).value).toBe('v2');
  });
});
