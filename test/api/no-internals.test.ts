import { privateRedisClient } from '../support/private-redis-clients';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import request from 'supertest';
import { Registry } from 'prom-client';
import { createDatabase } from '@shared/db/database';
import { EventPublisher } from '@shared/queues/event-publisher';
import { closeRedis, createRedisConnection, waitForRedis } from '@shared/redis/redis-connection';
import { redisQueueBackend } from '@shared/queues/queue-backend';
import { pipelineQueues } from '@shared/runtime/system';
import { createApp } from '../../services/api/src/app';
import { startRedisServer, type PrivateRedis } from '../../scripts/dev/redis-server';
import { startTestSystem, type TestSystem } from '../support/system';
import { loggerInto } from '../support/user-token-fixtures';

/**
 * What a dependency's failure leaves in answers: which dependency, never the driver's words
 * (they name hosts, ports, commands and limits). The driver's error goes to the log instead.
 * And a malformed key at start is named by its position, never printed.
 */
let system: TestSystem;
let redis: PrivateRedis;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  system = await startTestSystem({ workers: false });
  redis = await startRedisServer(['--maxmemory-policy', 'noeviction']);
}, 60_000);
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await system?.stop();
  await redis?.stop();
});

/** The app over the private Redis (queues, rate limits, health) and the given database, logging into `logs`. */
async function appOnPrivateRedis(logs: Record<string, unknown>[], db = system.infra.db) {
  const [producer, cache] = [await privateRedisClient(redis.url, 'producer', cleanups), await privateRedisClient(redis.url, 'cache', cleanups)];
  const publisher = new EventPublisher({ connection: producer, prefix: 'ni' });
  const queues = pipelineQueues(redisQueueBackend(producer, 'ni'));
    const app = createApp({ config: system.config, logger: loggerInto(logs), db, cache: system.infra.cache, publisher, queues, redis: cache, registry: new Registry() });
  cleanups.push(() => app.close(), () => publisher.close(), () => Promise.all(Object.values(queues).map((q) => q.close())));
  return app;
}

/** The messages of the errors logged for the request with this id (causes included, as pino writes them). */
const loggedErrors = (logs: Record<string, unknown>[], requestId?: string) =>
  logs.filter((l) => l.err && (requestId === undefined || (l.req as { id?: string } | undefined)?.id === requestId)).map((l) => (l.err as { message: string }).message);

const event = () => ({ eventId: `ni-${Date.now()}`, userId: 'u1', type: 'self_report', occurredAt: new Date(Date.now() - 1000).toISOString(), properties: { stress: 2 } });

it("ingest's 503 says the queue is unavailable, not what Redis said; the log has Redis's words", async () => {
  const logs: Record<string, unknown>[] = [];
  const app = await appOnPrivateRedis(logs);
  const admin = createRedisConnection({ mode: 'standalone', url: redis.url }, 'cache');
  cleanups.push(() => closeRedis(admin));
  await waitForRedis(admin);
  // A full Redis (noeviction) refuses every write with its own message.
  await admin.config('SET', 'maxmemory', '1');
  try {
    const res = await request(app).post('/api/events').set('X-Request-Id', 'ni-ingest').send({ events: [event()] });
    expect({ status: res.status, body: res.body }).toEqual({
      status: 503,
      body: { error: { code: 'E_DEPENDENCY_UNAVAILABLE', message: 'the queue is unavailable (Redis did not take the batch); retry later' } },
    });
    const [detail] = loggedErrors(logs, 'ni-ingest');
    expect(detail).toMatch(/OOM command not allowed/);
    expect(res.text).not.toMatch(/OOM|maxmemory|command/i);
  } finally {
    await admin.config('SET', 'maxmemory', '0');
  }
});

it('/health/ready names what is down without driver text, and logs the driver error once per outage', async () => {
  const logs: Record<string, unknown>[] = [];
  const deadDb = createDatabase({ database: { url: 'postgresql://postgres@127.0.0.1:1/none', connectionLimit: 1 } });
  cleanups.push(() => deadDb.close());
  const app = await appOnPrivateRedis(logs, deadDb);
  expect((await request(app).get('/health/ready')).body.checks).toMatchObject({ redis: { ok: true }, queues: { ok: true }, postgres: { ok: false, error: 'unavailable' } });
  await redis.kill();
  try {
    const answers = [await request(app).get('/health/ready'), await request(app).get('/health/ready')];
    for (const res of answers) {
      expect({ status: res.status, body: res.body }).toEqual({
        status: 503,
        body: { status: 'unavailable', checks: { redis: { ok: false, error: 'unavailable' }, postgres: { ok: false, error: 'unavailable' }, queues: { ok: false, error: 'unavailable' } } },
      });
    }
    const down = logs.filter((l) => l.msg === 'readiness: dependency is down');
    // Once per dependency and outage, not once per probe.
    expect(down.map((l) => l.dependency).sort()).toEqual(['postgres', 'queues', 'redis']);
    const details = loggedErrors(down);
    expect(details.find((m) => /ECONNREFUSED/.test(m))).toBeDefined();
    for (const res of answers) for (const detail of details) expect(res.text).not.toContain(detail);
    expect(answers[0]!.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|closed|writeable|offline/i);
  } finally {
    await redis.restart();
  }
});

it('a malformed API_KEYS entry stops the API with one line that names the entry, not its key', async () => {
  const valid = 'valid-read-key-0123456789';
  const forgotten = 'secret-0123456789-no-role';
  const { code, stderr, stdout } = await runApi({ API_KEYS: `read:${valid},${forgotten}`, NODE_ENV: 'production' });
  expect(code).toBe(1);
  expect(stderr.trim()).toBe(
    'Invalid configuration:\n  - API_KEYS: entry 2 of 2 is not role:key with a role of ingest, read, admin (its text is not shown: it may hold a key)',
  );
  for (const output of [stderr, stdout]) for (const key of [valid, forgotten]) expect(output).not.toContain(key);
}, 30_000);

/** `pnpm start:api` as a child process with `env` on top of a clean environment, until it exits. */
function runApi(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const root = resolve(__dirname, '..', '..');
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(root, 'services/api/src/main.ts')], { cwd: root, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done) => child.once('close', (code) => done({ code, stdout, stderr })));
}
