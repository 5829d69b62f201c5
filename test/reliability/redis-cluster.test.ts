import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { Cluster } from 'ioredis';
import type { ApiApp } from '../../services/api/src/app';
import type { BehavioralEvent } from '@shared/contracts/behavioral-event';
import type { SessionCompleted } from '@shared/contracts/session-completed';
import { createLogger } from '@shared/logger/logger';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { createInfrastructure, type Infrastructure } from '@shared/runtime/infrastructure';
import { CacheWriter } from '@shared/cache/cache-writer';
import { userKeySpace } from '@shared/contracts/cache-keys';
import { closeRedis, createRedisConnection } from '@shared/redis/redis-connection';
import { recomputeUsers } from '@shared/recompute/recompute-users';
import { waitFor } from '../support/pipeline-probe';
import { chunks, simulatedTraffic } from '../support/traffic';
import { appFor, API_KEYS_ENV, bearer } from '../support/api-app';
import { expectedAggregates, expectStoredAggregates } from '../support/expected-aggregates';
import { startRedisCluster, type PrivateRedisCluster } from '../support/redis-cluster';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * The end-to-end pipeline on a private three-master Redis Cluster: BullMQ under a
 * hash-tagged prefix, cluster-mode ioredis everywhere, the cache's per-user hash tags and
 * Lua scripts, the pub/sub invalidation bus, the read API with its X-Cache tiers. Passes
 * when the stored and served aggregates equal the formulas run over the published rows.
 */
const NOW = new Date();
const USERS = ['alice', 'bob', 'chen', 'dana', 'emeka', 'farah'];
const published: { events: BehavioralEvent[]; sessions: SessionCompleted[] } = { events: [], sessions: [] };
const queuePrefix = `{tq${randomBytes(4).toString('hex')}}`;

let cluster: PrivateRedisCluster;
let system: TestSystem;
/** A second API instance: its own L1 and bus subscriber, the same cluster and database. */
let apiInfra: Infrastructure;
let api: ApiApp;

beforeAll(async () => {
  cluster = await startRedisCluster();
  system = await startTestSystem({
    now: () => NOW,
    env: { REDIS_CLUSTER_NODES: cluster.nodes, QUEUE_PREFIX: queuePrefix, API_KEYS: API_KEYS_ENV, RATE_LIMIT_PER_MINUTE: '100000' },
  });
  apiInfra = await createInfrastructure(system.config, createLogger({ level: 'silent' }));
  api = appFor({ ...system, infra: apiInfra });
  const traffic = simulatedTraffic(USERS, { days: 60, seed: 7, now: NOW });
  published.events.push(...traffic.events);
  published.sessions.push(...traffic.sessions);
}, 90_000);

afterAll(async () => {
  await apiInfra?.close();
  await system?.stop();
  await cluster?.stop();
}, 30_000);


/** Keys per cluster node matching a pattern (SCAN on each master). */
async function keysPerNode(pattern: string): Promise<number[]> {
  const redis = system.infra.redis as Cluster;
  return Promise.all(
    redis.nodes('master').map(async (node) => {
      let cursor = '0';
      let count = 0;
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        count += keys.length;
      } while (cursor !== '0');
      return count;
    }),
  );
}

describe('the pipeline on a three-master Redis Cluster', () => {
  it('runs in cluster mode against all three masters', async () => {
    expect(system.config.redis.mode).toBe('cluster');
    expect(system.config.queuePrefix).toBe(queuePrefix);
    expect(system.infra.redis).toBeInstanceOf(Cluster);
    expect((system.infra.redis as Cluster).nodes('master')).toHaveLength(3);
    for (const port of cluster.ports) expect(await cluster.cli(port, 'CLUSTER', 'INFO')).toContain('cluster_state:ok');
  });

  it('stores every event once and computes every aggregate exactly (publisher and HTTP, duplicates included)', async () => {
    expect(published.events.length).toBeGreaterThan(1_500);
    const [viaHttp, ...viaPublisher] = chunks(published.events, 300);
    const res = await request(api).post('/api/events').set(bearer('ingest')).send({ events: viaHttp });
    expect(res.status).toBe(202);
    // The ingest rate limit counts in the cluster too (its Lua scripts reach the key's node).
    expect(res.headers.ratelimit).toMatch(/"100000-in-1min"; r=99999;/);
    for (const batch of viaPublisher) {
      await system.publisher.publishEvents(batch);
      await system.publisher.publishEvents(batch);
    }
    await system.publisher.publishSessionCompleted(published.sessions);
    await system.drained();
    // Redelivery under other job ids after the first jobs are gone.
    await system.queue(QUEUE_NAMES.behavioralEvent).addBulk(published.events.slice(0, 200).map((e) => ({ name: e.type, data: e, opts: { jobId: `redelivery-${e.eventId}` } })));
    await system.drained();

    const pool = system.infra.db.pool;
    const counts = await pool.query('SELECT (SELECT count(*)::int FROM behavioral_events) AS events, (SELECT count(*)::int FROM study_sessions) AS sessions');
    expect(counts.rows[0]).toEqual({ events: new Set(published.events.map((e) => e.eventId)).size, sessions: published.sessions.length });
    for (const userId of USERS) await expectStoredAggregates(pool, userId, published, NOW);
  }, 120_000);

  it('keeps the queues in one slot and spreads the cache over the masters', async () => {
    const queueKeys = await keysPerNode(`${queuePrefix}:*`);
    expect(queueKeys.filter((n) => n > 0)).toHaveLength(1);
    const cacheKeys = await keysPerNode(`${system.config.cachePrefix}:{u:*`);
    expect(cacheKeys.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
  });

  it('serves the aggregates through the API with honest tiers: l2 (written through), then l1', async () => {
    const expected = expectedAggregates('alice', published, NOW).entries.find((e) => e.aggregate === 'behavioral-insights/dashboard')!;
    const first = await request(api).get('/api/analytics/behavioral-insights/dashboard?userId=alice').set(bearer('read'));
    const second = await request(api).get('/api/analytics/behavioral-insights/dashboard?userId=alice').set(bearer('read'));
    expect([first.status, first.headers['x-cache'], second.headers['x-cache']]).toEqual([200, 'l2', 'l1']);
    expect(first.body.data).toEqual(JSON.parse(JSON.stringify(expected.data)));
    expect(second.body.data).toEqual(first.body.data);

    const unknown = await request(api).get('/api/analytics/missions/summary?userId=nobody').set(bearer('read'));
    expect([unknown.status, unknown.headers['x-cache'], unknown.body.data.completed]).toEqual([200, 'compute', 0]);
  });

  it('invalidates the other instance’s L1 over pub/sub when a worker recomputes', async () => {
    const path = '/api/analytics/stress-profile?userId=bob';
    const before = await request(api).get(path).set(bearer('read'));
    expect((await request(api).get(path).set(bearer('read'))).headers['x-cache']).toBe('l1');
    const report: BehavioralEvent = { eventId: 'cluster-late-report', userId: 'bob', type: 'self_report', occurredAt: new Date(NOW.getTime() - 30_000).toISOString(), properties: { stress: 5 } };
    published.events.push(report);
    await system.publisher.publishEvent(report);
    await system.drained();

    // The bus dropped this instance's L1 copy; the worker had written the fresh entry to L2.
    const after = await request(api).get(path).set(bearer('read'));
    expect(after.headers['x-cache']).toBe('l2');
    expect(after.body.data.reports).toBe(before.body.data.reports + 1);
    const expected = expectedAggregates('bob', published, NOW).entries.find((e) => e.aggregate === 'stress-profile')!;
    expect(after.body.data).toEqual(JSON.parse(JSON.stringify(expected.data)));
  }, 60_000);

  it('writes a recompute batch that spans slots through the workers\' CacheWriter: every user, and one bus message for the batch', async () => {
    for (const userId of USERS) {
      await request(api).get(`/api/analytics/objectives?userId=${userId}`).set(bearer('read'));
      expect((await request(api).get(`/api/analytics/objectives?userId=${userId}`).set(bearer('read'))).headers['x-cache']).toBe('l1');
    }
    const listener = createRedisConnection(system.config.redis, 'subscriber');
    const messages: string[] = [];
    listener.on('message', (_channel: string, message: string) => messages.push(message));
    await listener.subscribe(`${system.config.cachePrefix}:cache:invalidate`);
    try {
      const writer = new CacheWriter({ redis: system.infra.redis, keys: userKeySpace(system.config.cachePrefix) });
      const results = await recomputeUsers({ db: system.infra.db, cache: writer, cachePrefix: system.config.cachePrefix, now: () => NOW }, USERS);
      expect([...results.values()].map((r) => ('stored' in r ? [r.stored, r.cached] : r.error.message))).toEqual(USERS.map(() => [true, true]));
      await waitFor('the batch message', () => messages.length >= 1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(messages.map((m) => (JSON.parse(m) as { userIds: string[] }).userIds)).toEqual([USERS]);
      // The other API dropped every user of the batch from its L1 and reads the fresh entries from L2.
      for (const userId of USERS) {
        const res = await request(api).get(`/api/analytics/objectives?userId=${userId}`).set(bearer('read'));
        const expected = expectedAggregates(userId, published, NOW).entries.find((e) => e.aggregate === 'objectives')!;
        expect({ userId, tier: res.headers['x-cache'], data: res.body.data }).toEqual({ userId, tier: 'l2', data: JSON.parse(JSON.stringify(expected.data)) });
      }
      expect(writer.fallbackCount).toBe(0);
    } finally {
      await closeRedis(listener);
    }
  }, 60_000);

  it('reports Redis, PostgreSQL and the queues ready', async () => {
    const res = await request(api).get('/health/ready');
    expect(res.status).toBe(200);
  });

  it('never fell back: every L2 read, fill, invalidation and write-through ran on the cluster', async () => {
    // L2 errors (a CROSSSLOT Lua script, say) are swallowed by design and only counted, so count them.
    const stats = await request(api).get('/api/admin/cache/stats').set(bearer('admin'));
    expect([stats.status, stats.body.stats.fallbackCount, stats.body.redisHealthy]).toEqual([200, 0, true]);
    expect(stats.body.stats.redisHits).toBeGreaterThan(0);
    const workerSide = system.infra.cache.getStats();
    expect([workerSide.stats.fallbackCount, workerSide.redisHealthy]).toEqual([0, true]);
  });
});
