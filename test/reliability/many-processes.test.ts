import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { QueueEvents } from 'bullmq';
import type { BehavioralEvent } from '@shared/contracts/behavioral-event';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { API_KEYS_ENV, bearer } from '../support/api-app';
import { crashLines, startApiProcess, startWorkerProcess, stopAllProcesses, type ApiProcess, type ManagedProcess } from '../support/processes';
import { AcceptedLedger, expectExactTotals, getJson, postUntilAccepted, QueueProbe, waitFor } from '../support/pipeline-probe';
import { chunks, simulatedTraffic } from '../support/traffic';
import { deleteKeysWithPrefix } from '../support/redis-keys';

/**
 * Scale-out: two API processes and two worker processes on one database and one Redis,
 * exactly as `pnpm start:api` / `pnpm start:worker` run them. Every event is counted once
 * whichever API took it and whichever worker ran it; a cron tick fired by both workers
 * runs once; a recompute in a worker reaches the L1 of both APIs; Bull Board sees both workers.
 */
const REDIS_URL = 'redis://127.0.0.1:6379';
const id = randomBytes(4).toString('hex');
const QUEUE_PREFIX = `rm${id}`;
const CACHE_PREFIX = `rmc${id}`;
const USERS = ['many-a', 'many-b', 'many-c', 'many-d'];
const ingest = bearer('ingest');
const reader = bearer('read');

let database: TestDatabase;
let pool: pg.Pool;
let probe: QueueProbe;
let maintenanceEventsConnection: Redis;
let maintenanceEvents: QueueEvents;
let apis: ApiProcess[];
let workers: ManagedProcess[];
/** Per tick job id: how often it was added, refused as a duplicate, and completed. */
const ticks = new Map<string, { added: number; duplicated: number; completed: number }>();
const tick = (jobId: string) => ticks.get(jobId) ?? ticks.set(jobId, { added: 0, duplicated: 0, completed: 0 }).get(jobId)!;

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
  probe = new QueueProbe(REDIS_URL, QUEUE_PREFIX);
  // Listening before any worker starts, so no tick goes unseen.
  maintenanceEventsConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  maintenanceEvents = new QueueEvents(QUEUE_NAMES.maintenance, { connection: maintenanceEventsConnection, prefix: QUEUE_PREFIX });
  maintenanceEvents.on('added', ({ jobId }) => void (tick(jobId).added += 1));
  maintenanceEvents.on('duplicated', ({ jobId }) => void (tick(jobId).duplicated += 1));
  maintenanceEvents.on('completed', ({ jobId }) => void (tick(jobId).completed += 1));
  await maintenanceEvents.waitUntilReady();
  const env = {
    DATABASE_URL: database.url,
    DATABASE_CONNECTION_LIMIT: '4',
    REDIS_URL,
    QUEUE_PREFIX,
    CACHE_PREFIX,
    API_KEYS: API_KEYS_ENV,
    RECOMPUTE_DEBOUNCE_MS: '20',
    RATE_LIMIT_PER_MINUTE: '100000',
  };
  // Retention every second (it only trims what is old, so it changes nothing here): both workers fire every tick.
  const workerEnv = { ...env, CRON_RETENTION: '* * * * * *' };
  const started = await Promise.all([
    startApiProcess('api-1', env),
    startApiProcess('api-2', env),
    startWorkerProcess('worker-1', workerEnv),
    startWorkerProcess('worker-2', workerEnv),
  ]);
  apis = started.slice(0, 2) as ApiProcess[];
  workers = started.slice(2);
}, 60_000);

afterAll(async () => {
  await stopAllProcesses();
  await maintenanceEvents?.close();
  maintenanceEventsConnection?.disconnect();
  await probe?.close();
  await deleteKeysWithPrefix(REDIS_URL, CACHE_PREFIX).catch(() => undefined);
  await pool?.end();
  await database?.drop();
});

const dashboard = (api: ApiProcess, userId: string) => getJson(api.url, `/api/analytics/behavioral-insights/dashboard?userId=${userId}`, reader);

it('counts every event once, whichever of two APIs took it (some twice) and whichever of two workers ran it', async () => {
  const traffic = simulatedTraffic(USERS, { days: 30, seed: 17 });
  const ledger = new AcceptedLedger();
  const batches = chunks(traffic.events, 150);
  for (const [i, batch] of batches.entries()) {
    await postUntilAccepted(apis[i % 2]!.url, 'events', batch, ledger, { headers: ingest });
    // A publisher that retries on the other instance: every third batch arrives twice.
    if (i % 3 === 0) await postUntilAccepted(apis[(i + 1) % 2]!.url, 'events', batch, ledger, { headers: ingest });
  }
  const half = Math.floor(traffic.sessions.length / 2);
  await postUntilAccepted(apis[0]!.url, 'sessions', traffic.sessions.slice(0, half), ledger, { headers: ingest });
  await postUntilAccepted(apis[1]!.url, 'sessions', traffic.sessions.slice(half), ledger, { headers: ingest });
  await probe.drained();

  expect(ledger.eventCount).toBe(traffic.events.length);
  await expectExactTotals(pool, ledger);
}, 90_000);

it('brings an invalidation caused by a worker to the L1 of both API processes', async () => {
  const userId = 'many-a';
  const before = (await dashboard(apis[0]!, userId)).body.data.totals.events as number;
  for (const api of apis) {
    await dashboard(api, userId);
    const cached = await dashboard(api, userId);
    expect({ api: api.name, tier: cached.tier, events: cached.body.data.totals.events }).toEqual({ api: api.name, tier: 'l1', events: before });
  }

  const event: BehavioralEvent = {
    eventId: `many-late-${id}`,
    userId,
    type: 'mission_completed',
    occurredAt: new Date(Date.now() - 60_000).toISOString(),
    properties: { missionId: 'late-mission', successScore: 0.9, durationMs: 600_000 },
  };
  await postUntilAccepted(apis[0]!.url, 'events', [event], new AcceptedLedger(), { headers: ingest });
  await probe.drained();

  // Both dropped the user from L1 and read the worker's write-through from L2.
  for (const api of apis) {
    const fresh = await dashboard(api, userId);
    expect({ api: api.name, status: fresh.status, tier: fresh.tier, events: fresh.body.data.totals.events }).toEqual({ api: api.name, status: 200, tier: 'l2', events: before + 1 });
  }
});

it('runs a cron tick once although both worker processes fire it', async () => {
  // Ticks both workers fired: one add, at least one refused duplicate, and it has finished.
  const firedByBoth = () => [...ticks].filter(([jobId, t]) => jobId.startsWith('retention@') && t.added === 1 && t.duplicated >= 1 && t.completed >= 1);
  await waitFor('three ticks fired by both workers', () => firedByBoth().length >= 3, 30_000);
  const maintenance = probe.queue(QUEUE_NAMES.maintenance);
  for (const [jobId, counts] of firedByBoth()) {
    const job = await maintenance.getJob(jobId);
    expect({ jobId, completed: counts.completed, state: await job!.getState(), runs: job!.attemptsStarted }).toEqual({ jobId, completed: 1, state: 'completed', runs: 1 });
  }
  for (const [jobId, counts] of ticks) expect({ jobId, added: counts.added }).toEqual({ jobId, added: 1 });
});

it('shows the workers of both processes in Bull Board', async () => {
  const admin = bearer('admin');
  const listing = await getJson(apis[1]!.url, '/admin/queues/api/queues', admin);
  expect(listing.status).toBe(200);
  const names = (listing.body.queues as { name: string }[]).map((q) => q.name).sort();
  expect(names).toEqual(Object.values(QUEUE_NAMES).sort());
  for (const queue of Object.values(QUEUE_NAMES)) {
    const answer = await getJson(apis[1]!.url, `/admin/queues/api/queues/${queue}/workers`, admin);
    // One Worker per queue in each process: two connections, from two processes.
    const addresses = new Set((answer.body.workers as { addr: string }[]).map((w) => w.addr));
    expect({ queue, status: answer.status, workers: addresses.size }).toEqual({ queue, status: 200, workers: 2 });
  }
  for (const process of [...apis, ...workers]) {
    expect({ name: process.name, alive: process.isAlive(), crashes: crashLines(process) }).toEqual({ name: process.name, alive: true, crashes: [] });
  }
});
