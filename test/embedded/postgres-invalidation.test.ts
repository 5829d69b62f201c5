import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { ReadCache } from '@shared/cache/read-cache';
import { cacheKey, userKeySpace } from '@shared/contracts/cache-keys';
import { InvalidatingWriteThrough, invalidationPayloads, PostgresInvalidationPublisher, PostgresInvalidationSource } from '@shared/cache/postgres-invalidation-bus';
import { localRefreshClaims } from '@shared/recompute/refresh-claims';

/**
 * The embedded mode's seams on the real PostgreSQL of the test machine: cross-process L1
 * invalidation by LISTEN/NOTIFY (what replaces Redis pub/sub there), and the in-memory
 * claims of aged refreshes. Each test listens on a channel of its own (a random prefix).
 */
const DATABASE_URL = process.env.TEST_ADMIN_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const pool = new Pool({ connectionString: DATABASE_URL, max: 2 });
const closers: (() => Promise<unknown>)[] = [];
const prefix = () => `emb${randomBytes(4).toString('hex')}`;

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await pool.end();
});

it('splits a big batch of users into NOTIFY payloads under the 8000-byte limit, every user once', () => {
  const users = Array.from({ length: 2_000 }, (_, i) => `user-${i.toString().padStart(40, '0')}`);
  const payloads = invalidationPayloads('origin', users);
  expect(payloads.length).toBeGreaterThan(1);
  for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThan(8_000);
  const seen = payloads.flatMap((p) => (JSON.parse(p) as { userId?: string; userIds?: string[] }).userIds ?? []);
  expect(seen).toEqual(users);
});

it('delivers a publisher’s invalidations to every other listener, not to its own origin, and resyncs after the listener lost its connection', async () => {
  const channel = userKeySpace(prefix()).invalidationChannel;
  const heard: string[] = [];
  let resyncs = 0;
  const source = new PostgresInvalidationSource({ databaseUrl: DATABASE_URL, channel });
  closers.push(() => source.close());
  await source.start({ invalidate: (userId) => heard.push(userId), resync: () => (resyncs += 1) });
  const publisher = new PostgresInvalidationPublisher({ pool, channel });
  expect(await publisher.publish(['alice', 'bob'])).toBe(true);
  await until(() => heard.length === 2);
  expect(heard).toEqual(['alice', 'bob']);

  // Its own messages (same origin) are ignored.
  const own = new PostgresInvalidationPublisher({ pool, channel });
  Object.defineProperty(own, 'origin', { value: source.origin });
  await own.publish(['carol']);
  await publisher.publish(['dan']);
  await until(() => heard.length === 3);
  expect(heard[2]).toBe('dan');

  // The listening connection is cut: messages may be lost meanwhile, so it asks for a resync once back.
  await pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()`, [`LISTEN "${channel}%`]);
  await until(() => resyncs === 1, 10_000);
  await publisher.publish(['erin']);
  await until(() => heard.includes('erin'));
});

it('an L1-only read cache drops a user when a worker’s write-through is announced over PostgreSQL', async () => {
  const channelPrefix = prefix();
  const keys = userKeySpace(channelPrefix);
  const cache = new ReadCache({
    keys,
    redis: null,
    invalidations: new PostgresInvalidationSource({ databaseUrl: DATABASE_URL, channel: keys.invalidationChannel }),
    l1MaxEntries: 100,
    l1MaxBytes: 1_000_000,
  });
  closers.push(() => cache.close());
  await cache.ready();
  const key = cacheKey(channelPrefix, { userId: 'frank', aggregate: 'patterns', period: '-' });
  let loads = 0;
  const read = () => cache.getOrSet(key, async () => ({ version: (loads += 1) }), { ttlClass: 'behavioralPatterns' });
  expect((await read()).value).toEqual({ version: 1 });
  expect((await read()).tier).toBe('l1');

  const writer = new InvalidatingWriteThrough(new PostgresInvalidationPublisher({ pool, channel: keys.invalidationChannel }));
  expect(await writer.writeThroughUsers([{ userId: 'frank', entries: [] }])).toEqual(new Set(['frank']));
  await until(() => cache.getStats().stats.invalidations > 0);
  const after = await read();
  expect(after).toMatchObject({ value: { version: 2 }, tier: 'loader' });
  expect(cache.getStats()).toMatchObject({ redisHealthy: false, stats: { redisHits: 0 } });
});

it('in-memory refresh claims: one claim per user and TTL', async () => {
  let now = 1_000;
  const claims = localRefreshClaims({ now: () => now });
  expect(await claims.claim('u1', 500)).toBe(true);
  expect(await claims.claim('u1', 500)).toBe(false);
  expect(await claims.claim('u2', 500)).toBe(true);
  now += 501;
  expect(await claims.claim('u1', 500)).toBe(true);
});
