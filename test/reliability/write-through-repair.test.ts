import { Redis } from 'ioredis';
import { userKeySpace } from '@shared/contracts/cache-keys';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { API_KEYS_ENV, bearer } from '../support/api-app';
import { startApiProcess, startWorkerProcess, type ApiProcess } from '../support/processes';
import { waitFor } from '../support/pipeline-probe';
import { startWorkerProcessFixture, type WorkerProcessFixture } from '../support/worker-process-fixture';

/**
 * A recompute whose write-through Redis refuses until the job's retries run out: its
 * aggregates are stored in PostgreSQL, but the user's older entries stay in L2 and would be
 * served by every API until TTL + grace. The user is marked in cache_repairs (durable); once
 * Redis takes commands for the user again, a worker invalidates the entries everywhere, and
 * no API serves the older numbers after that.
 *
 * The fault: the user's generation counter holds a value INCR refuses, so every script that
 * replaces or invalidates that user's entries fails in Redis while everything else (BullMQ,
 * other users, reads) works. Setting it right is "Redis comes back" for that user.
 */
const USER = 'repair-ana';
const DASHBOARD = `/api/analytics/behavioral-insights/dashboard?userId=${USER}`;
let fixture: WorkerProcessFixture;
let apis: ApiProcess[];
let redis: Redis;

beforeAll(async () => {
  fixture = await startWorkerProcessFixture('wr', { API_KEYS: API_KEYS_ENV, LOG_LEVEL: 'info' });
  await startWorkerProcess('worker', fixture.env);
  apis = [await startApiProcess('api-1', fixture.env), await startApiProcess('api-2', fixture.env)];
  redis = new Redis(fixture.env.REDIS_URL!);
}, 90_000);

afterAll(async () => {
  await redis?.quit();
  await fixture?.close();
});

async function eventsServedBy(api: ApiProcess): Promise<number> {
  const res = await fetch(`${api.url}${DASHBOARD}`, { headers: bearer('read') });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: { totals: { events: number } } }).data.totals.events;
}

const event = (n: number) => ({ eventId: `repair-${n}`, userId: USER, type: 'search_performed', occurredAt: new Date(Date.now() - 1_000).toISOString(), properties: { resultCount: 3, queryLength: 12 } });

it('never serves the older entries from any API once Redis takes the user again after a write-through that failed for good', async () => {
  await fixture.publisher.publishEvent(event(1));
  await fixture.probe.drained();
  // Both APIs hold the user (L1) and L2 has it: one event.
  for (const api of apis) expect(await eventsServedBy(api)).toBe(1);

  const generation = userKeySpace(fixture.env.CACHE_PREFIX!).generationKey(USER);
  await redis.set(generation, 'not-a-number');
  await fixture.publisher.publishEvent(event(2));
  const recompute = fixture.probe.queue(QUEUE_NAMES.recompute);
  await waitFor('the recompute to fail after its retries', async () => ((await recompute.getJobCounts('failed')).failed ?? 0) >= 1, 60_000, 200);

  // Stored, but not in the cache: the APIs still serve the older entries, and the user is marked.
  const { rows: stored } = await fixture.pool.query<{ events: number }>(
    "SELECT (data->'totals'->>'events')::int AS events FROM aggregate_snapshots WHERE user_id = $1 AND aggregate = 'behavioral-insights/dashboard'",
    [USER],
  );
  expect(stored[0]!.events).toBe(2);
  for (const api of apis) expect(await eventsServedBy(api)).toBe(1);
  const { rows: marked } = await fixture.pool.query<{ user_id: string }>('SELECT user_id FROM cache_repairs');
  expect(marked.map((r) => r.user_id)).toEqual([USER]);

  // Redis takes the user's commands again.
  await redis.del(generation);
  await waitFor('the repair to remove the mark', async () => (await fixture.pool.query('SELECT 1 FROM cache_repairs')).rowCount === 0, 15_000, 100);
  for (let round = 0; round < 5; round += 1) {
    for (const api of apis) expect({ api: api.name, events: await eventsServedBy(api) }).toEqual({ api: api.name, events: 2 });
  }
}, 120_000);
