import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { crashLines, startApiProcess, startWorkerProcess, stopAllProcesses, type ApiProcess, type ManagedProcess } from '../support/processes';
import { AcceptedLedger, expectExactTotals, getJson, postUntilAccepted, QueueProbe, waitFor, type HttpAnswer } from '../support/pipeline-probe';
import { chunks, simulatedTraffic } from '../support/traffic';
import { deleteKeysWithPrefix } from '../support/redis-keys';
import { TcpProxy } from '../support/tcp-proxy';

/**
 * PostgreSQL goes away under an API process and a worker process (a proxy the test owns
 * drops every connection and refuses new ones) and comes back. Meanwhile ingest keeps
 * answering 202 (Redis holds the jobs), workers put jobs back as delayed until it returns, the API serves what
 * its cache holds and answers 503 for the rest, readiness names postgres, nothing crashes.
 * Afterwards the workers catch up: exact totals.
 */
const REDIS_URL = 'redis://127.0.0.1:6379';
const id = randomBytes(4).toString('hex');
const QUEUE_PREFIX = `rp${id}`;
const CACHE_PREFIX = `rpc${id}`;
const USERS = ['pg-a', 'pg-b', 'pg-c'];

let database: TestDatabase;
let pool: pg.Pool;
let proxy: TcpProxy;
let probe: QueueProbe;
let api: ApiProcess;
let worker: ManagedProcess;
const answers: HttpAnswer[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
  const direct = new URL(database.url);
  proxy = await TcpProxy.start({ host: direct.hostname, port: Number(direct.port || 5432) });
  probe = new QueueProbe(REDIS_URL, QUEUE_PREFIX);
  const env = {
    DATABASE_URL: proxy.urlFor(database.url),
    DATABASE_CONNECTION_LIMIT: '4',
    REDIS_URL,
    QUEUE_PREFIX,
    CACHE_PREFIX,
    RECOMPUTE_DEBOUNCE_MS: '20',
    RATE_LIMIT_PER_MINUTE: '100000',
  };
  [api, worker] = await Promise.all([startApiProcess('api', env), startWorkerProcess('worker', env)]);
}, 60_000);

afterAll(async () => {
  await stopAllProcesses();
  await probe?.close();
  await deleteKeysWithPrefix(REDIS_URL, CACHE_PREFIX).catch(() => undefined);
  await proxy?.close();
  await pool?.end();
  await database?.drop();
});

async function read(aggregate: string, userId: string): Promise<HttpAnswer> {
  const answer = await getJson(api.url, `/api/analytics/${aggregate}?userId=${userId}`);
  answers.push(answer);
  return answer;
}

it('serves from cache and answers 503 while PostgreSQL is away, waits out the outage in ingest, and catches up exactly', async () => {
  const traffic = simulatedTraffic(USERS, { days: 30, seed: 5 });
  const half = Math.floor(traffic.events.length / 2);
  const ledger = new AcceptedLedger();
  for (const batch of chunks(traffic.events.slice(0, half), 200)) await postUntilAccepted(api.url, 'events', batch, ledger);
  await postUntilAccepted(api.url, 'sessions', traffic.sessions, ledger);
  await probe.drained();

  // pg-a and pg-b are read through the API (now in its L1); pg-c only sits in L2 (the worker's write-through).
  for (const userId of ['pg-a', 'pg-b']) {
    await read('behavioral-insights/dashboard', userId);
    expect((await read('behavioral-insights/dashboard', userId)).tier).toBe('l1');
  }

  await proxy.cut();
  for (const userId of ['pg-a', 'pg-b']) {
    const cached = await read('behavioral-insights/dashboard', userId);
    expect({ status: cached.status, tier: cached.tier, events: cached.body.data.totals.events }).toEqual({ status: 200, tier: 'l1', events: ledger.eventsOf(userId) });
  }
  const fromL2 = await read('behavioral-insights/dashboard', 'pg-c');
  expect({ status: fromL2.status, tier: fromL2.tier }).toEqual({ status: 200, tier: 'l2' });
  const uncached = await read('patterns', 'pg-never-seen');
  expect({ status: uncached.status, retryAfter: uncached.retryAfter, code: uncached.body.error.code }).toEqual({ status: 503, retryAfter: '5', code: 'E_DEPENDENCY_UNAVAILABLE' });
  const ready = await getJson(api.url, '/health/ready');
  expect({ status: ready.status, postgres: ready.body.checks.postgres.ok, redis: ready.body.checks.redis.ok }).toEqual({ status: 503, postgres: false, redis: true });

  // Ingest still works (Redis holds the jobs); the worker cannot store them and puts them
  // back as delayed without spending an attempt (ingest jobs are never delayed otherwise).
  for (const batch of chunks(traffic.events.slice(half), 200)) await postUntilAccepted(api.url, 'events', batch, ledger);
  const events = probe.queue(QUEUE_NAMES.behavioralEvent);
  const waiting = await waitFor('a job to wait out the outage', async () => {
    const [job] = await events.getJobs(['delayed'], 0, 0);
    return job;
  });
  expect(waiting.attemptsMade).toBe(0);
  expect(await events.getJobCounts('failed')).toEqual({ failed: 0 });

  await proxy.restore();
  await waitFor('readiness to come back', async () => (await getJson(api.url, '/health/ready')).status === 200);
  await probe.drained(60_000);

  expect(await events.getJobCounts('completed', 'failed')).toEqual({ completed: ledger.eventCount, failed: 0 });
  await expectExactTotals(pool, ledger);
  // The API, never restarted, now serves the new totals (its L1 was invalidated by the recomputes).
  for (const userId of USERS) {
    const fresh = await read('behavioral-insights/dashboard', userId);
    expect({ userId, status: fresh.status, events: fresh.body.data.totals.events }).toEqual({ userId, status: 200, events: ledger.eventsOf(userId) });
  }
  expect(answers.filter((a) => a.status >= 500 && a.status !== 503)).toEqual([]);
  for (const process of [api, worker]) {
    expect({ name: process.name, alive: process.isAlive(), crashes: crashLines(process) }).toEqual({ name: process.name, alive: true, crashes: [] });
  }
}, 120_000);
