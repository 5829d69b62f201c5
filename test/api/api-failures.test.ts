import request from 'supertest';
import { Registry } from 'prom-client';
import { createDatabase } from '@shared/db/database';
import { EventPublisher } from '@shared/queues/event-publisher';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { recomputeNow, RecomputeTimeoutError } from '@shared/recompute/recompute-queue';
import { closeRedis, createRedisConnection, waitForRedis } from '@shared/redis/redis-connection';
import { createApp } from '../../services/api/src/app';
import { createLogger } from '@shared/logger/logger';
import { startRedisServer, type PrivateRedis } from '../../scripts/dev/redis-server';
import { startTestSystem, type TestSystem } from '../support/system';

/** 503 with Retry-After when a dependency a request needs is down; never a crash or a stack trace. */
let system: TestSystem;
let redis: PrivateRedis;

beforeAll(async () => {
  system = await startTestSystem({ workers: false });
  redis = await startRedisServer();
}, 60_000);
afterAll(async () => {
  await system?.stop();
  await redis?.stop();
});

const event = () => ({ eventId: `e${Date.now()}`, userId: 'u1', type: 'self_report', occurredAt: new Date(Date.now() - 1000).toISOString(), properties: { stress: 2 } });

it('ingest answers 503 with Retry-After when Redis cannot take the batch, then 202 when it is back', async () => {
  const producer = createRedisConnection({ mode: 'standalone', url: redis.url }, 'producer');
  producer.on('error', () => undefined);
  await waitForRedis(producer);
  const publisher = new EventPublisher({ connection: producer, prefix: 'fail' });
  const app = createApp({
    config: system.config,
    logger: createLogger({ level: 'silent' }),
    db: system.infra.db,
    cache: system.infra.cache,
    publisher,
    queues: system.queues,
    redis: producer,
    // One app per registry: each test builds its own app over other connections.
    registry: new Registry(),
  });
  try {
    expect((await request(app).post('/api/events').send({ events: [event()] })).status).toBe(202);
    await redis.kill();
    const down = await request(app).post('/api/events').send({ events: [event()] });
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBe('1');
    expect(down.body.error.code).toBe('E_DEPENDENCY_UNAVAILABLE');
    expect(JSON.stringify(down.body)).not.toMatch(/at .*\.ts:\d+/);
    await redis.restart();
    await waitForRedis(producer, 10_000);
    expect((await request(app).post('/api/events').send({ events: [event()] })).status).toBe(202);
  } finally {
    await publisher.close();
    await closeRedis(producer);
  }
});

it('reads answer 503 when PostgreSQL is unreachable and the aggregate is not cached, and readiness says which', async () => {
  const deadDb = createDatabase({ database: { url: 'postgresql://postgres@127.0.0.1:1/none', connectionLimit: 2 } });
  const app = createApp({
    config: system.config,
    logger: createLogger({ level: 'silent' }),
    db: deadDb,
    cache: system.infra.cache,
    publisher: system.publisher,
    queues: system.queues,
    redis: system.infra.redis,
    // One app per registry: each test builds its own app over other connections.
    registry: new Registry(),
  });
  try {
    const res = await request(app).get('/api/analytics/patterns?userId=nobody-cached');
    expect(res.status).toBe(503);
    expect(res.body.error).toEqual({ code: 'E_DEPENDENCY_UNAVAILABLE', message: expect.stringMatching(/unavailable/) });
    const ready = await request(app).get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.postgres.ok).toBe(false);
    expect(ready.body.checks.redis.ok).toBe(true);
  } finally {
    await deadDb.close();
  }
});

it('a priority recompute that no worker finishes ends in RecomputeTimeoutError (the 504 of /predictions/generate), not a hang', async () => {
  // This system runs no workers: the job waits, and the caller gets its answer at the deadline.
  const waiting = recomputeNow(system.queue(QUEUE_NAMES.recompute), { userId: 'nobody-works' }, 300);
  await expect(waiting).rejects.toBeInstanceOf(RecomputeTimeoutError);
  expect(await system.queue(QUEUE_NAMES.recompute).getJobCountByTypes('prioritized', 'wait')).toBe(1);
});
