import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { Registry } from 'prom-client';
import { cacheKey } from '@shared/contracts/cache-keys';
import { l2Value } from '../support/cache-helpers';
import { loadConfig } from '@shared/config/config';
import { pipelineMetricsFor } from '@shared/metrics/pipeline-metrics';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { enqueueRecompute } from '@shared/recompute/recompute-queue';
import { recomputeUser } from '@shared/recompute/recompute-user';
import { closeRedis, createRedisConnection } from '@shared/redis/redis-connection';
import { createLogger } from '@shared/logger/logger';
import { cacheWriter, createConnections } from '@shared/runtime/infrastructure';
import type { StoredAggregate } from '@shared/store/aggregate-store';
import { insertEvents } from '@shared/store/event-store';
import { createRecomputeWorker } from '../../workers/src/recompute/recompute-worker';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startRedisServer, type PrivateRedis } from '../../scripts/dev/redis-server';
import { crashLines, startApiProcess, startWorkerProcess, stopAllProcesses, type ApiProcess, type ManagedProcess } from '../support/processes';
import { AcceptedLedger, expectExactTotals, getJson, postUntilAccepted, QueueProbe, waitFor, type HttpAnswer } from '../support/pipeline-probe';
import { chunks, simulatedTraffic } from '../support/traffic';
import { redisQueueBackend } from '@shared/queues/queue-backend';

/**
 * Redis dies (SIGKILL) while events stream in through an API process to a worker process,
 * and comes back on the same port. Reads keep answering from L1 and PostgreSQL, ingest
 * answers 503 with Retry-After, and once the publisher has re-sent what got 503 every
 * event is counted exactly once — without restarting either process.
 *
 * Durability: the private Redis runs with AOF (`appendfsync always`), as production must
 * (docs/deployment.md). Without persistence a SIGKILL loses every job still queued,
 * events the API already acknowledged with 202; no retry by the publisher could bring them
 * back, so "exactly once" is only promised on a Redis that keeps what it acknowledged.
 */
const id = randomBytes(4).toString('hex');
const QUEUE_PREFIX = `rr${id}`;
const CACHE_PREFIX = `rrc${id}`;
const STREAMING = ['r-a', 'r-b', 'r-c', 'r-d'];
const QUIET = 'r-quiet';

let database: TestDatabase;
let pool: pg.Pool;
let aofDir: string;
let redis: PrivateRedis;
let probe: QueueProbe;
let api: ApiProcess;
let worker: ManagedProcess;

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
  aofDir = mkdtempSync(join(tmpdir(), 'sa-redis-aof-'));
  redis = await startRedisServer(['--appendonly', process.env.SA_TEST_REDIS_NO_AOF ? 'no' : 'yes', '--appendfsync', 'always', '--dir', aofDir]);
  probe = new QueueProbe(redis.url, QUEUE_PREFIX);
  const env = {
    DATABASE_URL: database.url,
    DATABASE_CONNECTION_LIMIT: '4',
    REDIS_URL: redis.url,
    QUEUE_PREFIX,
    CACHE_PREFIX,
    RECOMPUTE_DEBOUNCE_MS: '20',
    RATE_LIMIT_PER_MINUTE: '100000',
    WORKER_LOCK_DURATION_MS: '2000',
    WORKER_STALLED_INTERVAL_MS: '500',
  };
  [api, worker] = await Promise.all([startApiProcess('api', env), startWorkerProcess('worker', env)]);
}, 60_000);

afterAll(async () => {
  await stopAllProcesses();
  await probe?.close();
  await redis?.stop();
  await pool?.end();
  await database?.drop();
  if (aofDir) rmSync(aofDir, { recursive: true, force: true });
});

it('keeps reads up while Redis is dead, answers 503 to ingest, and heals to exact totals once the publisher retries', async () => {
  const client = new Redis(redis.url);
  const persistence = await client.config('GET', 'appendonly').finally(() => client.disconnect());
  expect(persistence).toEqual(['appendonly', process.env.SA_TEST_REDIS_NO_AOF ? 'no' : 'yes']);

  const traffic = simulatedTraffic([...STREAMING, QUIET], { days: 30, seed: 3 });
  const quiet = traffic.events.filter((e) => e.userId === QUIET);
  const stream = traffic.events.filter((e) => e.userId !== QUIET);
  const ledger = new AcceptedLedger();
  const head = Math.floor(stream.length * 0.3);
  for (const batch of chunks([...quiet, ...stream.slice(0, head)], 200)) await postUntilAccepted(api.url, 'events', batch, ledger);
  await postUntilAccepted(api.url, 'sessions', traffic.sessions, ledger);
  await probe.drained();

  // The quiet user gets no more events: its dashboard stays in the API's L1 through the outage.
  const read = (userId: string) => getJson(api.url, `/api/analytics/behavioral-insights/dashboard?userId=${userId}`);
  await read(QUIET);
  expect((await read(QUIET)).tier).toBe('l1');

  // The rest streams in, with a dashboard reading all the time.
  const unavailable: (string | null)[] = [];
  let streamed = 0;
  const publishing = (async () => {
    for (const batch of chunks(stream.slice(head), 50)) {
      await postUntilAccepted(api.url, 'events', batch, ledger, { deadlineMs: 60_000, onUnavailable: (retryAfter) => unavailable.push(retryAfter) });
      streamed += 1;
    }
  })();
  const reads: HttpAnswer[] = [];
  let reading = true;
  const dashboard = (async () => {
    while (reading) {
      for (const userId of ['r-a', 'r-b', QUIET]) reads.push(await read(userId));
      await new Promise((r) => setTimeout(r, 50));
    }
  })();

  await waitFor('two batches to stream in', () => streamed >= 2);
  await redis.kill();
  // While Redis is dead: cached reads from L1, others from PostgreSQL; ingest 503 + Retry-After.
  const fromL1 = await read(QUIET);
  expect({ status: fromL1.status, tier: fromL1.tier, events: fromL1.body.data.totals.events }).toEqual({ status: 200, tier: 'l1', events: ledger.eventsOf(QUIET) });
  const fromDb = await read('r-c');
  expect({ status: fromDb.status, tier: fromDb.tier }).toEqual({ status: 200, tier: 'db' });
  await waitFor('the publisher to be told 503', () => unavailable.length > 0);
  expect(unavailable.every((retryAfter) => retryAfter === '1')).toBe(true);
  const ready = await getJson(api.url, '/health/ready');
  expect({ status: ready.status, redis: ready.body.checks.redis.ok }).toEqual({ status: 503, redis: false });

  await redis.restart();
  await publishing;
  reading = false;
  await dashboard;
  await probe.drained(60_000);

  expect(reads.filter((answer) => answer.status >= 500)).toEqual([]);
  await expectExactTotals(pool, ledger);
  // Healed without a restart: readiness, and reads that show the final numbers.
  expect((await getJson(api.url, '/health/ready')).status).toBe(200);
  for (const userId of [...STREAMING, QUIET]) {
    const answer = await read(userId);
    expect({ userId, status: answer.status, events: answer.body.data.totals.events }).toEqual({ userId, status: 200, events: ledger.eventsOf(userId) });
  }
  for (const process of [api, worker]) {
    expect({ name: process.name, alive: process.isAlive(), crashes: crashLines(process), evictionWarning: /maxmemory-policy/.test(process.output()) }).toEqual({
      name: process.name,
      alive: true,
      crashes: [],
      evictionWarning: false,
    });
  }
}, 120_000);

it('warns loudly at start when Redis may evict queued jobs (maxmemory-policy other than noeviction)', async () => {
  const evicting = await startRedisServer(['--maxmemory-policy', 'allkeys-lru']);
  try {
    const starting = await startWorkerProcess('worker-on-evicting-redis', {
      DATABASE_URL: database.url,
      DATABASE_CONNECTION_LIMIT: '2',
      REDIS_URL: evicting.url,
      QUEUE_PREFIX,
      CACHE_PREFIX,
    });
    const warning = JSON.parse(await starting.waitForLine(/maxmemory-policy/)) as { level: number; msg: string };
    expect({ level: warning.level, msg: warning.msg }).toEqual({
      level: 40,
      msg: '!!! Redis maxmemory-policy is "allkeys-lru": queued jobs can be evicted and lost. Set it to "noeviction".',
    });
    expect(await starting.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  } finally {
    await evicting.stop();
  }
});

/**
 * The pool a recompute uses, with one fault armed: Redis dies right after the next save commits,
 * i.e. when the aggregates are stored in PostgreSQL but not yet written through to Redis.
 */
function poolThatKillsRedisAfterNextCommit(pool: pg.Pool, kill: () => Promise<void>): { pool: pg.Pool; fired: () => boolean } {
  let state: 'armed' | 'firing' | 'fired' = 'armed';
  // The save of a recompute is one autocommitted statement (it writes aggregate_snapshots):
  // once it has returned, the aggregates are committed.
  const isSave = (query: unknown) => String((query as { text?: string })?.text ?? query).includes('INSERT INTO aggregate_snapshots');
  const wrapped = new Proxy(pool, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (prop !== 'query') return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      return async (...args: unknown[]) => {
        const result = await (target.query as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (state === 'armed' && isSave(args[0])) {
          state = 'firing';
          await kill();
          state = 'fired';
        }
        return result;
      };
    },
  });
  return { pool: wrapped, fired: () => state === 'fired' };
}

it('does not leave the previous aggregates in L2 when Redis dies between storing a recompute and writing it through', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sa-redis-aof-'));
  const crashing = await startRedisServer(['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir]);
  const silent = createLogger({ level: 'silent' });
  const config = loadConfig({ DATABASE_URL: database.url, DATABASE_CONNECTION_LIMIT: '3', REDIS_URL: crashing.url, QUEUE_PREFIX: `${QUEUE_PREFIX}w`, CACHE_PREFIX: `${CACHE_PREFIX}w`, LOG_LEVEL: 'silent' });
  const userId = 'write-through-crash';
  const key = cacheKey(config.cachePrefix, { userId, aggregate: 'behavioral-insights/dashboard', period: '-' });
  const [first, ...rest] = simulatedTraffic([userId], { days: 10, seed: 29 }).events;
  const workerSide = await createConnections(config, silent);
  const writer = cacheWriter(config, silent, workerSide.redis, workerSide.registry);
  const connection = createRedisConnection(config.redis, 'worker');
  connection.on('error', () => undefined);
  const recomputeQueue = new Queue(QUEUE_NAMES.recompute, { connection, prefix: config.queuePrefix });
  recomputeQueue.on('error', () => undefined);
  const chaos = poolThatKillsRedisAfterNextCommit(workerSide.db.pool, () => crashing.kill());
  const worker = createRecomputeWorker({
    db: { pool: chaos.pool },
    cache: writer,
    cachePrefix: config.cachePrefix,
    queueBackend: redisQueueBackend(connection, config.queuePrefix).workers,
    recomputeQueue,
    batching: config.recomputeBatch,
    locks: { lockDurationMs: config.workerLocks.lockDurationMs.recompute, stalledIntervalMs: config.workerLocks.stalledIntervalMs },
    metrics: pipelineMetricsFor(new Registry()),
    logger: silent,
  });
  let readSide: Awaited<ReturnType<typeof createConnections>> | undefined;
  try {
    // Before: one event, computed and in L2.
    await insertEvents(workerSide.db.pool, [first!]);
    await recomputeUser({ db: workerSide.db, cache: writer, cachePrefix: config.cachePrefix }, userId);
    // Then the rest arrives; its recompute is stored, and Redis dies before the write-through.
    await insertEvents(workerSide.db.pool, rest);
    await enqueueRecompute(recomputeQueue, { userId }, 0);
    await waitFor('Redis to die after the save commits', () => chaos.fired());
    await crashing.restart();

    const probe = new QueueProbe(crashing.url, config.queuePrefix);
    try {
      await probe.drained(30_000);
    } finally {
      await probe.close();
    }
    // An API process reading L2 now must see the stored aggregates, not the ones from before.
    readSide = await createConnections(config, silent);
    const cached = await l2Value<StoredAggregate>(readSide.redis, key);
    expect((cached?.data as { totals: { events: number } } | undefined)?.totals.events).toBe(rest.length + 1);
  } finally {
    await worker.close();
    await recomputeQueue.close();
    await closeRedis(connection);
    await readSide?.close();
    await workerSide.close();
    await crashing.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
