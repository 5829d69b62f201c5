import { privateRedisClient } from '../support/private-redis-clients';
import request from 'supertest';
import { Registry } from 'prom-client';
import { Redis } from 'ioredis';
import { EventPublisher } from '@shared/queues/event-publisher';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { createLogger } from '@shared/logger/logger';
import { redisQueueBackend } from '@shared/queues/queue-backend';
import { pipelineQueues, type PipelineQueues } from '@shared/runtime/system';
import { createApp, type ApiApp } from '../../services/api/src/app';
import { startRedisServer, type PrivateRedis } from '../../scripts/dev/redis-server';
import { startTestSystem, type TestSystem } from '../support/system';
import { parsePrometheusText, samplesOf } from '../support/prometheus-text';

/**
 * /metrics reads queue depth and the Redis figures from the last background collection: any
 * scrape rate costs Redis the same. Counted on a redis-server of this test's own, which
 * nothing else talks to, with INFO's total_commands_processed.
 */
let system: TestSystem;
let redis: PrivateRedis;
let counter: Redis;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  system = await startTestSystem({ workers: false });
  redis = await startRedisServer();
  counter = new Redis(redis.url);
}, 60_000);
// Each test's app stops collecting before the next test counts commands.
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  counter?.disconnect();
  await system?.stop();
  await redis?.stop();
});

/** Commands Redis has processed so far, not counting the INFO calls made to read it. */
let infoCalls = 0;
async function commandsProcessed(): Promise<number> {
  const info = await counter.info('stats');
  infoCalls += 1;
  return Number(/total_commands_processed:(\d+)/.exec(info)![1]) - (infoCalls - 1);
}

/** The app with its queues and Redis figures on the private Redis, collecting every `intervalMs`. */
async function appCollectingEvery(intervalMs: number): Promise<{ app: ApiApp; queues: PipelineQueues }> {
  const [producer, cache] = [await privateRedisClient(redis.url, 'producer', cleanups), await privateRedisClient(redis.url, 'cache', cleanups)];
  const publisher = new EventPublisher({ connection: producer, prefix: 'ms' });
  const queues = pipelineQueues(redisQueueBackend(producer, 'ms'));
  const app = createApp({
    config: { ...system.config, metricsCollectIntervalMs: intervalMs },
    logger: createLogger({ level: 'silent' }),
    db: system.infra.db,
    cache: system.infra.cache,
    publisher,
    queues,
    redis: cache,
    registry: new Registry(),
  });
  cleanups.push(() => app.close(), () => publisher.close(), () => Promise.all(Object.values(queues).map((q) => q.close())));
  return { app, queues };
}

const waitingJobs = async (app: ApiApp) => samplesOf(parsePrometheusText((await request(app).get('/metrics')).text), 'queue_jobs', { queue: QUEUE_NAMES.recompute, state: 'waiting' })[0]?.value;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('20 rapid scrapes cost Redis no more than one collection period does', async () => {
  const period = 1_000;
  const { app } = await appCollectingEvery(period);
  // The first collection has finished once its figures show; the next starts a period later.
  while ((await waitingJobs(app)) === undefined) await sleep(20);

  // A window holding exactly one collection (and no scrape).
  const quietStart = await commandsProcessed();
  await sleep(period * 1.2);
  const onePeriod = (await commandsProcessed()) - quietStart;

  const scrapesStart = await commandsProcessed();
  const scrapes = await Promise.all(Array.from({ length: 20 }, () => request(app).get('/metrics')));
  const scraped = (await commandsProcessed()) - scrapesStart;

  for (const res of scrapes) expect(res.status).toBe(200);
  // A collection is tens of commands (each queue's counts and throughput, PING, INFO)…
  expect(onePeriod).toBeGreaterThanOrEqual(20);
  // …and 20 scrapes cost at most the one collection that may fall among them (here: none).
  expect(scraped).toBeLessThanOrEqual(onePeriod);
}, 30_000);

it('the figures follow Redis between scrapes, and stop being collected when the app closes', async () => {
  const { app, queues } = await appCollectingEvery(200);
  const { recompute } = queues;
  while ((await waitingJobs(app)) === undefined) await sleep(20);
  expect(await waitingJobs(app)).toBe(0);
  await recompute.add('recompute', { userId: 'scrape-user' });
  const deadline = Date.now() + 5_000;
  while ((await waitingJobs(app)) !== 1 && Date.now() < deadline) await sleep(50);
  expect(await waitingJobs(app)).toBe(1);

  await app.close();
  const closedAt = await commandsProcessed();
  await sleep(600);
  expect((await commandsProcessed()) - closedAt).toBe(0);
}, 30_000);
