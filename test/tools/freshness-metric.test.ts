import { pipelineMetricsFor } from '@shared/metrics/pipeline-metrics';
import { QUEUE_NAMES, EVENT_JOB_OPTIONS } from '@shared/queues/queue-names';
import { enqueueRecompute } from '@shared/recompute/recompute-queue';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * `event_to_visible_seconds` (SPEC 6's freshness) is observed by the recompute worker from
 * the publish time the publisher stamps on each job, once the user's aggregates are
 * readable; recomputes nobody published for (nightly, warming) are not observed.
 */
let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem();
}, 60_000);

afterAll(() => system?.stop());

async function freshness(): Promise<{ count: number; sum: number }> {
  const metric = await pipelineMetricsFor(system.infra.registry).freshnessSeconds.get();
  const value = (name: string) => metric.values.find((v) => v.metricName === name)?.value ?? 0;
  return { count: value('event_to_visible_seconds_count'), sum: value('event_to_visible_seconds_sum') };
}

const selfReport = (eventId: string, userId: string) => ({
  eventId,
  userId,
  type: 'self_report',
  occurredAt: new Date(Date.now() - 60_000).toISOString(),
  properties: { stress: 3 },
});

describe('the freshness metric', () => {
  it('grows once published events have been processed and made visible', async () => {
    const before = await freshness();
    await system.publisher.publishEvents([selfReport('fresh-1', 'fiona'), selfReport('fresh-2', 'fiona')]);
    await system.drained();
    const after = await freshness();
    expect(after.count).toBeGreaterThan(before.count);
    expect(after.sum).toBeGreaterThan(before.sum);
  });

  it('measures from the publish time carried by the job', async () => {
    // A job published five seconds ago (as a slow or retried publish would be).
    const before = await freshness();
    const publishedAt = new Date(Date.now() - 5_000).toISOString();
    await system
      .queue(QUEUE_NAMES.behavioralEvent)
      .add('self_report', { ...selfReport('fresh-3', 'gus'), _trace: { publishedAt } }, { ...EVENT_JOB_OPTIONS, jobId: 'fresh-3' });
    await system.drained();
    const after = await freshness();
    expect(after.count).toBe(before.count + 1);
    expect(after.sum - before.sum).toBeGreaterThanOrEqual(5);
    expect(after.sum - before.sum).toBeLessThan(60);
  });

  it('is not observed for recomputes without published events (nightly, cache warming)', async () => {
    const computedAt = async () =>
      (await system.infra.db.pool.query<{ at: Date }>("SELECT max(computed_at) AS at FROM aggregate_snapshots WHERE user_id = 'gus'")).rows[0]!.at.getTime();
    const before = await freshness();
    const previous = await computedAt();
    await enqueueRecompute(system.queue(QUEUE_NAMES.recompute), { userId: 'gus' }, 0);
    await system.drained();
    expect(await computedAt()).toBeGreaterThan(previous);
    expect((await freshness()).count).toBe(before.count);
  });
});
