import type { BehavioralEvent } from '@shared/contracts/behavioral-event';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * The `_trace` of a job published straight to BullMQ (a study app in another language;
 * docs/api.md invites it) is read at the boundary: ISO-8601 with a zone and epoch
 * milliseconds are instants, anything else is ignored and counted, and nothing of it can
 * fail the job. An epoch-ms `publishedAt` used to reach the freshness histogram as NaN: the
 * recompute threw after storing the aggregates, and each retry recomputed the user again.
 */
let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem();
}, 60_000);
afterAll(async () => {
  await system?.stop();
});

const event = (userId: string): BehavioralEvent => ({
  eventId: `trace-${userId}`,
  userId,
  type: 'self_report',
  occurredAt: new Date(Date.now() - 60_000).toISOString(),
  properties: { stress: 3 },
});

async function metricValues(name: string): Promise<{ labels: Record<string, string | number>; value: number; metricName?: string }[]> {
  const metric = (await system.infra.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? []) as { labels: Record<string, string | number>; value: number; metricName?: string }[];
}

it('stores and recomputes every job whatever its _trace holds: instants are observed, the rest ignored and counted, no attempt is spent', async () => {
  const now = Date.now();
  const traces: Record<string, unknown> = {
    'tr-epoch-ms': { publishedAt: String(now - 2_000), requestId: 'other-client-1' }, // epoch ms as a string: the reported case
    'tr-epoch-number': { publishedAt: now - 2_000 },
    'tr-offset': { publishedAt: new Date(now - 2_000 + 3_600_000).toISOString().replace('Z', '+01:00') },
    'tr-words': { publishedAt: 'yesterday', requestId: 'no spaces allowed here' },
    'tr-seconds': { publishedAt: Math.floor(now / 1000) }, // epoch seconds: 1970 as milliseconds
    'tr-not-object': 'published just now',
  };
  const events = system.queue(QUEUE_NAMES.behavioralEvent);
  await events.addBulk(Object.entries(traces).map(([userId, _trace]) => ({ name: 'self_report', data: { ...event(userId), _trace }, opts: { jobId: `trace-${userId}` } })));
  await system.drained(30_000);

  const recompute = system.queue(QUEUE_NAMES.recompute);
  expect(await events.getJobCounts('completed', 'failed')).toEqual({ completed: 6, failed: 0 });
  const recomputes = await recompute.getJobs(['completed', 'failed']);
  expect(recomputes.map((job) => [job.data.userId, job.finishedOn && !job.failedReason ? 'completed' : job.failedReason, job.attemptsMade]).sort()).toEqual(
    Object.keys(traces)
      .sort()
      .map((userId) => [userId, 'completed', 1]),
  );
  // The recompute job carries the instant as ISO (from the job's own enqueue time when its _trace had none).
  for (const job of recomputes) expect(Date.parse(job.data.publishedAt)).toBeGreaterThan(now - 10_000);
  const { rows } = await system.infra.db.pool.query<{ n: number }>('SELECT count(DISTINCT user_id)::int AS n FROM aggregate_snapshots');
  expect(rows[0]!.n).toBe(6);

  // Every user's lag observed once, each a real number of seconds (never NaN, never 1970).
  const freshness = await metricValues('event_to_visible_seconds');
  const count = freshness.find((v) => v.metricName === 'event_to_visible_seconds_count')!.value;
  const sum = freshness.find((v) => v.metricName === 'event_to_visible_seconds_sum')!.value;
  expect(count).toBe(6);
  expect(Number.isFinite(sum) && sum >= 0 && sum < 6 * 30).toBe(true);

  const ignored = (await metricValues('job_trace_ignored_total')).filter((v) => v.labels.queue === QUEUE_NAMES.behavioralEvent);
  expect(Object.fromEntries(ignored.map((v) => [v.labels.field, v.value]))).toEqual({ publishedAt: 2, requestId: 1, _trace: 1 });
}, 60_000);
