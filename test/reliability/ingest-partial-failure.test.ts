import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { BehavioralEvent } from '@shared/contracts/behavioral-event';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { appFor, API_KEYS_ENV, KEYS } from '../support/api-app';
import { AcceptedLedger, postUntilAccepted, waitFor } from '../support/pipeline-probe';
import { startRedisServer, type PrivateRedis } from '../../scripts/dev/redis-server';
import { startTestSystem, type TestSystem } from '../support/system';
import { TcpProxy } from '../support/tcp-proxy';

/**
 * The ingest contract on Redis as it is: BullMQ 6.7's addBulk sends one script per job in a
 * pipeline, not in a transaction, so when Redis goes away mid-batch the jobs it had read
 * whole are queued and the caller gets 503. So 202 means every event is queued, 503 means
 * some may be, and re-sending the same ids is safe: a job id that exists is not added again,
 * a stored row is not stored again. Here the connection to a redis-server of the test's own
 * is cut after part of a 1,000-event batch has reached it (a proxy that forwards that many
 * bytes, then drops every connection), with the workers running.
 */
const N = 1_000;
const USERS = Array.from({ length: 20 }, (_, i) => `partial-${i}`);
let redis: PrivateRedis;
let proxy: TcpProxy;
let direct: Redis;
let system: TestSystem;
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  redis = await startRedisServer();
  proxy = await TcpProxy.start({ host: '127.0.0.1', port: redis.port });
  direct = new Redis(redis.url, { lazyConnect: true });
  await direct.connect();
  system = await startTestSystem({ env: { API_KEYS: API_KEYS_ENV, REDIS_URL: proxy.urlFor(redis.url), RATE_LIMIT_PER_MINUTE: '100000' } });
  server = createServer(appFor(system)).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await proxy?.restore();
  await system?.stop();
  await proxy?.close();
  direct?.disconnect();
  await redis?.stop();
});

const batch: BehavioralEvent[] = Array.from({ length: N }, (_, i) => ({
  eventId: `pf-${i}`,
  userId: USERS[i % USERS.length]!,
  type: 'card_reviewed',
  occurredAt: new Date(Date.now() - (i + 1) * 1_000).toISOString(),
  properties: { objectiveId: `o${i % 7}`, correct: i % 3 !== 0, responseMs: 1_000 + i },
}));
const post = (events: BehavioralEvent[]) =>
  fetch(`${baseUrl}/api/events`, { method: 'POST', headers: { 'content-type': 'application/json', Authorization: `Bearer ${KEYS.ingest}` }, body: JSON.stringify({ events }) });

/** How many of the batch's jobs exist in Redis (read past the proxy). */
async function queuedOfBatch(): Promise<number> {
  const exists = await direct.pipeline(batch.map((e) => ['exists', `${system.config.queuePrefix}:${QUEUE_NAMES.behavioralEvent}:${e.eventId}`])).exec();
  return exists!.filter(([, n]) => n === 1).length;
}

it('a batch cut off mid-way: 503 with part of it queued; re-sending the same ids gives 202, and every event is stored and counted once', async () => {
  // Warm: BullMQ's scripts are loaded on the connection, so the batch is scripts only.
  expect((await post([{ ...batch[0]!, eventId: 'pf-warm' }])).status).toBe(202);

  // Part of the batch reaches Redis, then every connection drops. A job's script on the wire
  // is several times its event's JSON (keys, options, the data): three times the JSON is
  // about a third of the batch's jobs.
  const cut = proxy.cutAfter(JSON.stringify(batch).length * 3);
  const refused = await post(batch);
  await cut;
  expect({ status: refused.status, retryAfter: refused.headers.get('retry-after'), code: ((await refused.json()) as { error: { code: string } }).error.code }).toEqual({
    status: 503,
    retryAfter: '1',
    code: 'E_DEPENDENCY_UNAVAILABLE',
  });
  const partly = await queuedOfBatch();
  console.log(`after the 503: ${partly} of ${N} events were queued`);
  // The case under test happened: neither nothing nor everything (the pipeline is no transaction).
  expect(partly).toBeGreaterThan(0);
  expect(partly).toBeLessThan(N);

  // Redis is back; the study app re-sends the same batch, as a 503 tells it to.
  await proxy.restore();
  const ledger = new AcceptedLedger();
  await postUntilAccepted(baseUrl, 'events', batch, ledger, { headers: { Authorization: `Bearer ${KEYS.ingest}` }, deadlineMs: 30_000 });
  expect(await queuedOfBatch()).toBe(N);
  await system.drained(60_000);

  const pool = system.infra.db.pool;
  const stored = await pool.query<{ n: number; users: number }>(`SELECT count(*)::int AS n, count(DISTINCT user_id)::int AS users FROM behavioral_events WHERE event_id LIKE 'pf-%' AND event_id <> 'pf-warm'`);
  expect(stored.rows[0]).toEqual({ n: N, users: USERS.length });
  // Counted once: every user's recomputed totals hold exactly its events of the batch (the warm-up event is partial-0's).
  const totals = await waitFor('every user recomputed with all of its events', async () => {
    const { rows } = await pool.query<{ user_id: string; events: number }>(
      `SELECT user_id, (data->'totals'->>'events')::int AS events FROM aggregate_snapshots WHERE aggregate = 'behavioral-insights/dashboard' AND user_id LIKE 'partial-%' ORDER BY user_id`,
    );
    return rows.length === USERS.length && rows.every((r) => r.events === batch.filter((e) => e.userId === r.user_id).length + (r.user_id === 'partial-0' ? 1 : 0)) ? rows : undefined;
  });
  expect(totals).toHaveLength(USERS.length);
}, 120_000);

it('states that contract everywhere it is written: 202 = every event queued, 503 = some may be, re-sending the same ids is safe', () => {
  const root = join(__dirname, '..', '..');
  const places = ['README.md', 'docs/api.md', 'docs/reliability.md', 'shared/src/queues/event-publisher.ts', 'services/api/src/features/ingest/ingest-controller.ts'];
  for (const place of places) {
    const text = readFileSync(join(root, place), 'utf8').replace(/\s*\n\s*(\*\s*)?/g, ' ');
    expect({ place, states: /503`? means some (of them )?may be (queued|in Redis)/.test(text) && /re-sending the same (ids|batch) is safe/i.test(text) }).toEqual({ place, states: true });
    expect({ place, claims: text.match(/one atomic `?addBulk`?|either entirely in Redis|nothing of the batch is enqueued|only answered after the whole batch is in Redis/g) }).toEqual({ place, claims: null });
  }
});
