import pg from 'pg';
import type { BehavioralEvent } from '@shared/contracts/behavioral-event';
import { periodKeyFor } from '@shared/aggregates/registry';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { RECOMPUTE_JOB_NAME } from '@shared/recompute/recompute-queue';
import { readAggregate } from '@shared/store/aggregate-store';
import { insertEvents } from '@shared/store/event-store';
import { startTestSystem, type TestSystem } from '../support/system';
import { waitFor } from '../support/pipeline-probe';
import { TcpProxy } from '../support/tcp-proxy';

/**
 * An outage longer than a job's attempts must not strand accepted work in the failed set.
 * Jobs here carry `attempts: 1`, as a plain BullMQ client in another language may send them:
 * with PostgreSQL cut, every one of them is put back as delayed (no attempt spent) again and
 * again, and all complete once it returns.
 */
let system: TestSystem;
let proxy: TcpProxy;
let direct: pg.Pool;

beforeAll(async () => {
  system = await startTestSystem({
    env: { DATABASE_CONNECTION_LIMIT: '4' },
    databaseUrlFor: async (url) => {
      const target = new URL(url);
      proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
      return proxy.urlFor(url);
    },
  });
  direct = new pg.Pool({ connectionString: system.database.url, max: 2 });
}, 60_000);

afterAll(async () => {
  await direct?.end();
  await proxy?.restore();
  await system?.stop();
  await proxy?.close();
});

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
const reviews = (userId: string, count: number): BehavioralEvent[] =>
  Array.from({ length: count }, (_, i) => ({
    eventId: `${userId}-r${i}`,
    userId,
    type: 'card_reviewed',
    occurredAt: minutesAgo(60 - i),
    properties: { objectiveId: 'obj-1', correct: i % 3 !== 0, responseMs: 2_000 + i },
  }));

async function deferredCount(queue: string): Promise<number> {
  const metric = await system.infra.registry.getSingleMetric('pipeline_jobs_deferred_total')?.get();
  return metric?.values.find((v) => v.labels.queue === queue)?.value ?? 0;
}

async function dashboardEvents(userId: string): Promise<number | undefined> {
  const stored = await readAggregate(direct, userId, 'behavioral-insights/dashboard', periodKeyFor('behavioral-insights/dashboard'));
  return (stored?.data as { totals?: { events?: number } } | undefined)?.totals?.events;
}

it('waits out a PostgreSQL outage longer than the jobs attempts, and loses nothing', async () => {
  // Before the outage: a user whose events are stored; their recompute will be asked for during it.
  await system.publisher.publishEvents(reviews('before', 5));
  await system.drained();
  expect(await dashboardEvents('before')).toBe(5);

  await proxy.cut();
  const during = reviews('during', 40);
  await system.queue(QUEUE_NAMES.behavioralEvent).addBulk(during.map((event) => ({ name: event.type, data: event, opts: { jobId: event.eventId, attempts: 1 } })));
  // A row that reached PostgreSQL another way: only the recompute asked for during the outage can count it.
  await insertEvents(direct, [{ ...reviews('before', 6)[5]!, eventId: 'before-late' }]);
  await system.queue(QUEUE_NAMES.recompute).add(RECOMPUTE_JOB_NAME, { userId: 'before' }, { attempts: 1 });

  // Each ingest job and the recompute are deferred at least twice: the outage outlasts
  // their single attempt several times over, and none of them fails.
  await waitFor('every job deferred twice', async () => (await deferredCount(QUEUE_NAMES.behavioralEvent)) >= 2 * during.length && (await deferredCount(QUEUE_NAMES.recompute)) >= 2);
  for (const queue of [QUEUE_NAMES.behavioralEvent, QUEUE_NAMES.recompute]) {
    expect(await system.queue(queue).getJobCountByTypes('failed')).toBe(0);
  }
  expect(await system.queue(QUEUE_NAMES.behavioralEvent).getJobCountByTypes('delayed', 'active', 'wait')).toBe(during.length);

  await proxy.restore();
  await system.drained(60_000);
  const { rows } = await direct.query<{ user_id: string; n: string }>('SELECT user_id, count(*) AS n FROM behavioral_events GROUP BY user_id ORDER BY user_id');
  expect(rows.map((r) => [r.user_id, Number(r.n)])).toEqual([
    ['before', 6],
    ['during', 40],
  ]);
  expect(await dashboardEvents('during')).toBe(40);
  expect(await dashboardEvents('before')).toBe(6);
  for (const queue of [QUEUE_NAMES.behavioralEvent, QUEUE_NAMES.recompute]) {
    expect(await system.queue(queue).getJobCountByTypes('failed')).toBe(0);
  }
}, 90_000);
