import request from 'supertest';
import type { ApiApp } from '../../services/api/src/app';
import { Registry } from 'prom-client';
import { createApp } from '../../services/api/src/app';
import { createLogger } from '@shared/logger/logger';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { createInfrastructure, type Infrastructure } from '@shared/runtime/infrastructure';
import { appFor, API_KEYS_ENV, bearer } from '../support/api-app';
import { startTestSystem, type TestSystem } from '../support/system';
import { waitFor } from '../support/pipeline-probe';
import { startRedisServer } from '../../scripts/dev/redis-server';
import { recomputeUser } from '@shared/recompute/recompute-user';
import { insertEvents } from '@shared/store/event-store';

/**
 * SPEC 6: a TTL bounds the age of the computation behind an answer. A read of an aggregate
 * computed longer ago than its query type's TTL is answered at once with what is stored,
 * says so, and brings one recompute of that user — once, however many reads and processes.
 */
const TTL_MS = 2_000;
/** Predictions' TTL: longer than the 1,000 reads take on a busy machine, so they all fall in one TTL. */
const PREDICTIONS_TTL_MS = 12_000;
let system: TestSystem;
let api: ApiApp;

beforeAll(async () => {
  system = await startTestSystem({
    env: { API_KEYS: API_KEYS_ENV, CACHE_TTL_OVERRIDES: `cognitiveLoad=${TTL_MS},missionSummaries=${TTL_MS},strugglePredictions=${PREDICTIONS_TTL_MS}` },
  });
  api = appFor(system);
}, 60_000);

afterAll(() => system?.stop());

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  return metric?.values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((sum, v) => sum + v.value, 0) ?? 0;
}

it('drops a session from cognitive-load/current once it leaves the 24-hour window, with no new event', async () => {
  // Ended 24 h − 3 s ago: inside the window now, outside it 3 s from now.
  const endedAt = Date.now() - 24 * 3_600_000 + 3_000;
  await system.publisher.publishSessionCompleted({
    sessionId: 'aged-s1',
    userId: 'aged-ana',
    startedAt: new Date(endedAt - 30 * 60_000).toISOString(),
    endedAt: new Date(endedAt).toISOString(),
    cardsReviewed: 10,
    correctCount: 8,
  });
  await system.drained();
  const path = '/api/analytics/cognitive-load/current?userId=aged-ana';
  const first = await request(api).get(path).set(bearer('read'));
  expect([first.status, first.body.data.components.studyMinutes24h, first.body.meta.refreshing]).toEqual([200, 30, undefined]);

  // Every read answers at once; after the window moved past the session and the TTL ran
  // out, one of them asks for the refresh and the ones after it get the new numbers.
  const seen: { minutes: number; refreshing: boolean; computedAt: string }[] = [];
  await waitFor(
    'the session to drop out of studyMinutes24h',
    async () => {
      const res = await request(api).get(path).set(bearer('read'));
      expect(res.status).toBe(200);
      seen.push({ minutes: res.body.data.components.studyMinutes24h, refreshing: res.body.meta.refreshing === true, computedAt: res.body.meta.computedAt });
      return res.body.data.components.studyMinutes24h === 0;
    },
    3_000 + TTL_MS + 5_000,
    100,
  );
  expect(seen.some((s) => s.refreshing && s.minutes === 30)).toBe(true);
  expect(Date.parse(seen.at(-1)!.computedAt)).toBeGreaterThan(Date.parse(first.body.meta.computedAt));
  expect(Date.parse(seen.at(-1)!.computedAt)).toBeGreaterThan(endedAt + 24 * 3_600_000);
}, 30_000);

it('drops a mission from missions/summary 7d once it leaves the 7-day window', async () => {
  const at = Date.now() - 7 * 24 * 3_600_000 + 3_000;
  await system.publisher.publishEvent({ eventId: 'aged-m1', userId: 'aged-ben', type: 'mission_completed', occurredAt: new Date(at).toISOString(), properties: { missionId: 'm1', successScore: 0.9, durationMs: 600_000 } });
  await system.drained();
  const path = '/api/analytics/missions/summary?userId=aged-ben&period=7d';
  expect((await request(api).get(path).set(bearer('read'))).body.data.completed).toBe(1);
  await waitFor('the mission to leave the 7-day window', async () => (await request(api).get(path).set(bearer('read'))).body.data.completed === 0, 3_000 + TTL_MS + 5_000, 100);
  // The 30-day window still counts it: the same recompute, other numbers.
  expect((await request(api).get('/api/analytics/missions/summary?userId=aged-ben&period=30d').set(bearer('read'))).body.data.completed).toBe(1);
}, 30_000);

it('recomputes an aged user exactly once for 1,000 reads within a second spread over two API processes', async () => {
  await system.publisher.publishEvent({ eventId: 'aged-c1', userId: 'aged-cleo', type: 'card_reviewed', occurredAt: ago(60_000), properties: { objectiveId: 'o1', correct: true, responseMs: 900 } });
  await system.drained();
  const second: Infrastructure = await createInfrastructure(system.config, createLogger({ level: 'silent' }));
  const secondRegistry = new Registry();
  const secondApi = createApp({ ...{ config: system.config, logger: createLogger({ level: 'silent' }) }, db: second.db, cache: second.cache, publisher: system.publisher, queues: system.queues, redis: second.redis, registry: secondRegistry });
  try {
    const path = '/api/analytics/predictions?userId=aged-cleo';
    // Both processes hold the user's entry; then it ages past the TTL.
    for (const app of [api, secondApi]) expect((await request(app).get(path).set(bearer('read'))).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, PREDICTIONS_TTL_MS + 200));
    const recomputesBefore = (await system.queue(QUEUE_NAMES.recompute).getMetrics('completed')).meta.count;
    const performedBefore = await metricValue(system.infra.registry, 'aggregate_refreshes_total');
    const queuedBefore = await metricValue(system.infra.registry, 'aggregate_refresh_requests_total', { result: 'queued' });

    // Ten waves of 100 concurrent reads, half through each process.
    const statuses: number[] = [];
    for (let wave = 0; wave < 10; wave += 1) {
      statuses.push(...(await Promise.all(Array.from({ length: 100 }, (_, i) => request(i % 2 ? secondApi : api).get(path).set(bearer('read')).then((r) => r.status)))));
    }
    expect(new Set(statuses)).toEqual(new Set([200]));
    await system.drained();

    expect((await system.queue(QUEUE_NAMES.recompute).getMetrics('completed')).meta.count - recomputesBefore).toBe(1);
    expect((await metricValue(system.infra.registry, 'aggregate_refreshes_total')) - performedBefore).toBe(1);
    const queued = (await metricValue(system.infra.registry, 'aggregate_refresh_requests_total', { result: 'queued' })) + (await metricValue(secondRegistry, 'aggregate_refresh_requests_total', { result: 'queued' }));
    expect(queued - queuedBefore).toBe(1);
    const after = await request(secondApi).get(path).set(bearer('read'));
    expect(after.body.meta.refreshing).toBeUndefined();
  } finally {
    await second.close();
  }
}, 60_000);

it('answers an aged read from what is stored when the refresh cannot be queued (Redis down)', async () => {
  const redis = await startRedisServer();
  const env = { API_KEYS: API_KEYS_ENV, CACHE_TTL_OVERRIDES: `strugglePredictions=${TTL_MS}`, REDIS_URL: redis.url };
  // No workers: the user is computed by the API's own path, and nothing waits on the dead Redis at the end.
  const local = await startTestSystem({ env, workers: false });
  try {
    const review = { eventId: 'aged-d1', userId: 'aged-dev', type: 'card_reviewed' as const, occurredAt: ago(60_000), properties: { objectiveId: 'o1', correct: false, responseMs: 1_200 } };
    await insertEvents(local.infra.db.pool, [review]);
    await recomputeUser({ db: local.infra.db, cache: local.writer, cachePrefix: local.config.cachePrefix }, 'aged-dev');
    const app = appFor(local);
    const path = '/api/analytics/predictions?userId=aged-dev';
    const fresh = await request(app).get(path).set(bearer('read'));
    await new Promise((resolve) => setTimeout(resolve, TTL_MS + 200));
    await redis.kill();
    const aged = await request(app).get(path).set(bearer('read'));
    expect([aged.status, aged.body.meta.refreshing, aged.body.meta.computedAt]).toEqual([200, true, fresh.body.meta.computedAt]);
    expect(aged.body.data).toEqual(fresh.body.data);
    await waitFor('the failed refresh to be counted', async () => (await metricValue(local.infra.registry, 'aggregate_refresh_requests_total', { result: 'failed' })) >= 1);
  } finally {
    await local.stop();
    await redis.stop();
  }
}, 60_000);

it('serves unknown users their empty shape without writing anything to Redis', async () => {
  const before = await system.infra.redis.dbsize();
  for (let i = 0; i < 1_500; i += 1) {
    const res = await request(api).get(`/api/analytics/missions/summary?userId=nobody-${i}`).set(bearer('read'));
    if (i === 0) expect([res.status, res.body.data.completed, res.body.meta.cache]).toEqual([200, 0, 'compute']);
  }
  // The shared Redis may gain keys from other suites meanwhile; none of this test's prefix.
  const keys = await system.infra.redis.keys(`${system.config.cachePrefix}:{u:nobody-*`);
  expect(keys).toEqual([]);
  expect(before).toBeGreaterThanOrEqual(0);
}, 60_000);
