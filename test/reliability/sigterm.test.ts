import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { EventPublisher } from '@shared/queues/event-publisher';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { closeRedis, createRedisConnection, waitForRedis, type RedisClient } from '@shared/redis/redis-connection';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { crashLines, startWorkerProcess, stopAllProcesses } from '../support/processes';
import { AcceptedLedger, chunks, expectExactTotals, QueueProbe, simulatedTraffic, waitFor } from './pipeline-probe';
import { deleteKeysWithPrefix } from '../helpers/redis-keys';

/**
 * SIGTERM while a worker is busy (a deploy, a scale-down): it stops taking jobs, finishes
 * the ones in flight, writes their batch, and exits 0, leaving no job behind as active. A
 * new worker continues from the queue; in the end every event is counted exactly once.
 */
const REDIS_URL = 'redis://127.0.0.1:6379';
const id = randomBytes(4).toString('hex');
const QUEUE_PREFIX = `rt${id}`;
const CACHE_PREFIX = `rtc${id}`;

let database: TestDatabase;
let pool: pg.Pool;
let probe: QueueProbe;
let producer: RedisClient;
let publisher: EventPublisher;
let env: Record<string, string>;

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
  probe = new QueueProbe(REDIS_URL, QUEUE_PREFIX);
  producer = createRedisConnection({ mode: 'standalone', url: REDIS_URL }, 'producer');
  producer.on('error', () => undefined);
  await waitForRedis(producer);
  publisher = new EventPublisher({ connection: producer, prefix: QUEUE_PREFIX });
  env = { DATABASE_URL: database.url, DATABASE_CONNECTION_LIMIT: '4', REDIS_URL, QUEUE_PREFIX, CACHE_PREFIX, RECOMPUTE_DEBOUNCE_MS: '20', WORKER_CONCURRENCY: '10' };
}, 30_000);

afterAll(async () => {
  await stopAllProcesses();
  await publisher?.close();
  if (producer) await closeRedis(producer);
  await probe?.close();
  await deleteKeysWithPrefix(REDIS_URL, CACHE_PREFIX).catch(() => undefined);
  await pool?.end();
  await database?.drop();
});

const rowCount = async () => (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM behavioral_events')).rows[0]!.n;

it('finishes the jobs in flight and flushes their batch on SIGTERM, exits 0, and a restart continues with nothing lost', async () => {
  const traffic = simulatedTraffic(['term-a', 'term-b', 'term-c', 'term-d'], { days: 40, seed: 23 });
  const cut = Math.floor(traffic.events.length * 0.7);
  const ledger = new AcceptedLedger();
  const events = probe.queue(QUEUE_NAMES.behavioralEvent);

  // A backlog first, so the worker is surely busy when the signal comes.
  for (const batch of chunks(traffic.events.slice(0, cut), 250)) {
    await publisher.publishEvents(batch);
    ledger.acceptEvents(batch);
  }
  const first = await startWorkerProcess('worker-1', env);
  await waitFor('the worker to store 300 rows', async () => (await rowCount()) >= 300, 30_000, 5);
  // And again while it shuts down, as an impatient operator would: that must not cut the shutdown short.
  first.signal('SIGTERM');
  await first.waitForLine(/"msg":"shutting down"/);
  const status = await first.stop('SIGTERM', 20_000);

  expect({ status, stopped: /"msg":"workers stopped"/.test(first.output()) }).toEqual({ status: { code: 0, signal: null }, stopped: true });
  // Stopped during load: work was left in the queue...
  const rowsAtExit = await rowCount();
  expect(rowsAtExit).toBeLessThan(cut);
  // ...but none was left half done: no job still active, and every completed job has its row.
  const counts = await events.getJobCounts('active', 'completed', 'failed');
  expect(counts).toEqual({ active: 0, completed: rowsAtExit, failed: 0 });

  for (const batch of chunks(traffic.events.slice(cut), 250)) {
    await publisher.publishEvents(batch);
    ledger.acceptEvents(batch);
  }
  await publisher.publishSessionCompleted(traffic.sessions);
  ledger.acceptSessions(traffic.sessions);
  const second = await startWorkerProcess('worker-2', env);
  await probe.drained(60_000);

  expect(await events.getJobCounts('completed', 'failed')).toEqual({ completed: ledger.eventCount, failed: 0 });
  await expectExactTotals(pool, ledger);
  expect(crashLines(first)).toEqual([]);
  expect(crashLines(second)).toEqual([]);
}, 120_000);
