import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import pg from 'pg';
import { Redis } from 'ioredis';
import { CacheWriter } from '@shared/cache/cache-writer';
import { userKeySpace } from '@shared/contracts/cache-keys';
import { behavioralEventSchemaAt } from '@shared/contracts/behavioral-event';
import { sessionCompletedSchemaAt } from '@shared/contracts/session-completed';
import { RecomputeFailure, recomputeUsers, type RecomputeDeps, type RecomputeOutcome } from '@shared/recompute/recompute-users';
import { insertEvents, insertSessions } from '@shared/store/event-store';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { deleteKeysWithPrefix } from '../support/redis-keys';
import { validEventArb, validSessionArb } from '../support/event-arbitraries';

/**
 * The batched recompute (one load statement, one save statement, one write-through for
 * many users) must give every user exactly what a batch of one gives it — the same stored
 * rows and the same Redis entries — and a user that fails must fail alone.
 */
const REDIS_URL = 'redis://127.0.0.1:6379';
const NOW = new Date();
const USERS = ['ana', 'ben', 'cleo', 'dev', 'eli', '__proto__', 'x-9_Z'];

let database: TestDatabase;
let pool: pg.Pool;
let redis: Redis;
const cachePrefix = `tb${randomBytes(4).toString('hex')}`;
let deps: RecomputeDeps;

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new pg.Pool({ connectionString: database.url, max: 4 });
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  deps = { db: { pool }, cache: new CacheWriter({ redis, keys: userKeySpace(cachePrefix) }), cachePrefix, now: () => NOW };
}, 30_000);

afterAll(async () => {
  await deleteKeysWithPrefix(REDIS_URL, cachePrefix);
  redis?.disconnect();
  await pool?.end();
  await database?.drop();
});

async function forget(userIds: string[]): Promise<void> {
  await pool.query('DELETE FROM aggregate_snapshots WHERE user_id = ANY($1)', [userIds]);
  await pool.query('DELETE FROM cognitive_load_snapshots WHERE user_id = ANY($1)', [userIds]);
  await deleteKeysWithPrefix(REDIS_URL, cachePrefix);
}

/** What a recompute leaves behind for these users: their stored rows and their cache entries (values, not expiry times). */
async function footprint(userIds: string[]) {
  const aggregates = await pool.query(
    `SELECT user_id, aggregate, period, data, computed_at FROM aggregate_snapshots WHERE user_id = ANY($1) ORDER BY user_id COLLATE "C", aggregate, period`,
    [userIds],
  );
  const loads = await pool.query('SELECT user_id, day, load_score, level, computed_at FROM cognitive_load_snapshots WHERE user_id = ANY($1) ORDER BY user_id COLLATE "C", day', [userIds]);
  const keys = (await redis.keys(`${cachePrefix}:*:a:*`)).sort();
  const entries = Object.fromEntries(await Promise.all(keys.map(async (key) => [key, (JSON.parse((await redis.get(key))!) as { v: unknown }).v] as const)));
  return { aggregates: aggregates.rows, loads: loads.rows, entries };
}

function outcomesOf(results: Map<string, RecomputeOutcome | RecomputeFailure>): Record<string, string> {
  return Object.fromEntries([...results].map(([id, r]) => [id, r instanceof RecomputeFailure ? `error: ${r.error.message}` : `stored ${r.stored}, cached ${r.cached}`]));
}

it('gives every user of a batch exactly the stored rows and cache entries of a batch of one (random histories)', async () => {
  const eventSchema = behavioralEventSchemaAt(() => NOW.getTime() + 60_000);
  const sessionSchema = sessionCompletedSchemaAt(() => NOW.getTime() + 60_000);
  let round = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(validEventArb(NOW.getTime(), USERS), { minLength: 1, maxLength: 120 }),
      fc.array(validSessionArb(NOW.getTime(), USERS), { maxLength: 15 }),
      async (rawEvents, rawSessions) => {
        round += 1;
        // Each round's users are new, so earlier rounds' rows do not mix in.
        const tag = (id: string) => `r${round}${id}`.slice(0, 64);
        const events = rawEvents.map((e) => eventSchema.parse({ ...(e as object), userId: tag((e as { userId: string }).userId), eventId: `${round}-${(e as { eventId: string }).eventId}`.slice(0, 64) }));
        const sessions = rawSessions.map((s) => sessionSchema.parse({ ...(s as object), userId: tag((s as { userId: string }).userId), sessionId: `${round}-${(s as { sessionId: string }).sessionId}`.slice(0, 64) }));
        await insertEvents(pool, events);
        await insertSessions(pool, sessions);
        const users = [...new Set([...events.map((e) => e.userId), ...sessions.map((s) => s.userId)])];

        for (const userId of users) {
          expect(outcomesOf(await recomputeUsers(deps, [userId]))).toEqual({ [userId]: 'stored true, cached true' });
        }
        const alone = await footprint(users);
        await forget(users);
        const batched = await recomputeUsers(deps, users);
        expect(outcomesOf(batched)).toEqual(Object.fromEntries(users.map((u) => [u, 'stored true, cached true'])));
        const together = await footprint(users);
        expect(together).toEqual(alone);
        expect(Object.keys(together.entries)).toHaveLength(users.length * 15);
        await forget(users);
      },
    ),
    { numRuns: 12 },
  );
}, 120_000);

it('fails a user whose load fails alone: the rest of its batch is stored', async () => {
  const events = ['p-ok1', 'p-poison', 'p-ok2'].map((userId, i) =>
    behavioralEventSchemaAt(() => NOW.getTime())
      .parse({ eventId: `poison-${i}`, userId, type: 'card_reviewed', occurredAt: new Date(NOW.getTime() - 60_000).toISOString(), properties: { objectiveId: 'o1', correct: true, responseMs: 900 } }),
  );
  await insertEvents(pool, events);
  // Fault injection on the real pool: any load statement that includes the poisoned user fails.
  const poisoned = new Proxy(pool, {
    get(target, prop) {
      if (prop !== 'query') return Reflect.get(target, prop, target);
      return (query: { text: string; values: unknown[] }) => {
        const users = Array.isArray(query.values?.[0]) ? (query.values[0] as string[]) : [];
        if (query.text?.includes('AS intervention_effects') && users.includes('p-poison')) return Promise.reject(new Error('this user breaks the statement'));
        return target.query(query);
      };
    },
  });
  const results = await recomputeUsers({ ...deps, db: { pool: poisoned } }, ['p-ok1', 'p-poison', 'p-ok2']);
  expect(outcomesOf(results)).toEqual({ 'p-ok1': 'stored true, cached true', 'p-poison': 'error: this user breaks the statement', 'p-ok2': 'stored true, cached true' });
  const { rows } = await pool.query<{ user_id: string; n: number }>('SELECT user_id, count(*)::int AS n FROM aggregate_snapshots WHERE user_id LIKE $1 GROUP BY user_id ORDER BY 1', ['p-%']);
  expect(rows).toEqual([
    { user_id: 'p-ok1', n: 15 },
    { user_id: 'p-ok2', n: 15 },
  ]);
});

it('keeps the newest computation of each user when an older batch saves after it', async () => {
  const event = behavioralEventSchemaAt(() => NOW.getTime()).parse({ eventId: 'order-1', userId: 'o-user', type: 'search_performed', occurredAt: new Date(NOW.getTime() - 1_000).toISOString(), properties: { resultCount: 3, queryLength: 4 } });
  await insertEvents(pool, [event]);
  const newer = await recomputeUsers({ ...deps, now: () => NOW }, ['o-user', 'o-other']);
  const older = await recomputeUsers({ ...deps, now: () => new Date(NOW.getTime() - 5_000) }, ['o-user']);
  expect(outcomesOf(newer)['o-user']).toBe('stored true, cached true');
  expect(outcomesOf(older)).toEqual({ 'o-user': 'stored false, cached true' });
  const { rows } = await pool.query<{ computed_at: Date }>('SELECT DISTINCT computed_at FROM aggregate_snapshots WHERE user_id = $1', ['o-user']);
  expect(rows.map((r) => r.computed_at.toISOString())).toEqual([NOW.toISOString()]);
});
