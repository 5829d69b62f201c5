import request from 'supertest';
import { Registry } from 'prom-client';
import { UnrecoverableError, Worker } from 'bullmq';
import { loadConfig } from '@shared/config/config';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { closeRedis, createRedisConnection } from '@shared/redis/redis-connection';
import { appFor, API_KEYS_ENV, bearer } from '../support/api-app';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * Bull Board's options: read-only when BULL_BOARD_READ_ONLY is set (its API refuses every
 * action, not just the UI hiding the buttons), and queue metrics shown.
 */
let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem({ workers: false, env: { API_KEYS: API_KEYS_ENV } });
  // Two failed jobs in the maintenance queue (no workers run in this test system).
  const maintenance = system.queue(QUEUE_NAMES.maintenance);
  await maintenance.add('broken', { task: 'broken' }, { jobId: 'broken-1' });
  await maintenance.add('broken', { task: 'broken' }, { jobId: 'broken-2' });
  const connection = createRedisConnection(system.config.redis, 'worker');
  const failing = new Worker(
    QUEUE_NAMES.maintenance,
    async () => {
      throw new UnrecoverableError('no such task');
    },
    // `metrics`, as the project's workers have it: BullMQ records jobs per minute for the board.
    { connection, prefix: system.config.queuePrefix, metrics: { maxDataPoints: 60 } },
  );
  while (((await maintenance.getJobCounts('failed')).failed ?? 0) < 2) await new Promise((r) => setTimeout(r, 20));
  await failing.close();
  await closeRedis(connection);
}, 60_000);
afterAll(async () => {
  await system?.stop();
});

/** The app as configured by BULL_BOARD_READ_ONLY (unset = the default). */
function boardApp(readOnlyEnv: 'true' | undefined) {
  const { bullBoardReadOnly } = loadConfig(readOnlyEnv ? { BULL_BOARD_READ_ONLY: readOnlyEnv } : {});
  // One registry per app: the test builds several apps over the same system.
  return appFor({ ...system, config: { ...system.config, bullBoardReadOnly }, infra: { ...system.infra, registry: new Registry() } });
}

const base = `/admin/queues/api/queues/${QUEUE_NAMES.maintenance}`;

it('read-only: the board says so and its API refuses retry, clean, pause and per-job actions', async () => {
  const app = boardApp('true');
  const listed = await request(app).get('/admin/queues/api/queues').set(bearer('admin'));
  expect(listed.body.queues.map((q: { readOnlyMode: boolean }) => q.readOnlyMode)).toEqual([true, true, true, true]);
  for (const action of ['retry/failed', 'clean/failed', 'pause', 'broken-1/retry', 'broken-1/clean']) {
    const res = await request(app).put(`${base}/${action}`).set(bearer('admin'));
    expect({ action, status: res.status }).toEqual({ action, status: 405 });
  }
  expect(await system.queue(QUEUE_NAMES.maintenance).getJobCounts('failed', 'waiting')).toEqual({ failed: 2, waiting: 0 });
});

it('writable (the default): the same retry goes through, so the refusal above is the read-only mode', async () => {
  const app = boardApp(undefined);
  const listed = await request(app).get('/admin/queues/api/queues').set(bearer('admin'));
  expect(listed.body.queues.every((q: { readOnlyMode: boolean }) => q.readOnlyMode === false)).toBe(true);
  expect((await request(app).put(`${base}/broken-1/retry`).set(bearer('admin'))).status).toBe(204);
  expect(await system.queue(QUEUE_NAMES.maintenance).getJobCounts('failed', 'waiting')).toEqual({ failed: 1, waiting: 1 });
});

it('serves the queue metrics (jobs per minute) the workers record', async () => {
  const app = boardApp('true');
  const res = await request(app).get(`${base}/metrics`).set(bearer('admin'));
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ completed: expect.anything(), failed: expect.objectContaining({ meta: expect.objectContaining({ count: 2 }) }) });
});
