import type { BehavioralEvent } from '@shared/contracts/behavioral-event';
import type { SessionCompleted } from '@shared/contracts/session-completed';
import { cacheKey } from '@shared/contracts/cache-keys';
import { l2Value } from '../support/cache-helpers';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { readAggregate, type StoredAggregate } from '@shared/store/aggregate-store';
import { chunks, simulatedTraffic } from '../support/traffic';
import { expectedAggregates, expectStoredAggregates } from '../support/expected-aggregates';
import { startTestSystem, type TestSystem } from '../support/system';

const NOW = new Date();
const USERS = ['alice', 'bob', 'chen', 'dana', 'emeka'];
let system: TestSystem;
const published: { events: BehavioralEvent[]; sessions: SessionCompleted[] } = { events: [], sessions: [] };

beforeAll(async () => {
  system = await startTestSystem({ now: () => NOW });
  const traffic = simulatedTraffic(USERS, { days: 100, seed: 42, now: NOW });
  published.events.push(...traffic.events);
  published.sessions.push(...traffic.sessions);
}, 60_000);

afterAll(() => system?.stop());


describe('the event pipeline, end to end', () => {
  it('stores every event once and computes every aggregate exactly, duplicates and redeliveries included', async () => {
    expect(published.events.length).toBeGreaterThan(2_000);
    // Every batch twice (a publisher retrying), sessions one by one and in bulk.
    for (const batch of chunks(published.events, 400)) {
      await system.publisher.publishEvents(batch);
      await system.publisher.publishEvents(batch);
    }
    await system.publisher.publishSessionCompleted(published.sessions);
    await system.drained();
    // Redelivery after the first jobs are gone: same events under other job ids.
    const events = system.queue(QUEUE_NAMES.behavioralEvent);
    await events.addBulk(published.events.slice(0, 300).map((e) => ({ name: e.type, data: e, opts: { jobId: `redelivery-${e.eventId}` } })));
    for (const session of published.sessions.slice(0, 20)) await system.publisher.publishSessionCompleted(session);
    await system.drained();

    const pool = system.infra.db.pool;
    const distinctEvents = new Set(published.events.map((e) => e.eventId)).size;
    const counts = await pool.query('SELECT (SELECT count(*)::int FROM behavioral_events) AS events, (SELECT count(*)::int FROM study_sessions) AS sessions');
    expect(counts.rows[0]).toEqual({ events: distinctEvents, sessions: published.sessions.length });

    for (const userId of USERS) await expectStoredAggregates(pool, userId, published, NOW);
  }, 120_000);

  it('has written the fresh aggregates through to the cache', async () => {
    const expected = expectedAggregates('alice', published, NOW);
    const entry = expected.entries.find((e) => e.aggregate === 'behavioral-insights/dashboard')!;
    const hit = await l2Value<StoredAggregate>(system.infra.redis, cacheKey(system.config.cachePrefix, { userId: 'alice', aggregate: entry.aggregate, period: entry.period }));
    expect(hit?.data).toEqual(JSON.parse(JSON.stringify(entry.data)));
  });

  it('fails a malformed job at once with a readable reason, and goes on', async () => {
    const events = system.queue(QUEUE_NAMES.behavioralEvent);
    await events.add('card_reviewed', { eventId: 'bad*id', userId: 'alice', type: 'card_reviewed', occurredAt: 'yesterday', properties: {} }, { jobId: 'malformed-1', attempts: 5 });
    await system.publisher.publishEvent({ eventId: 'after-bad', userId: 'frank', type: 'self_report', occurredAt: new Date(NOW.getTime() - 60_000).toISOString(), properties: { stress: 3 } });
    await system.drained();
    const job = await events.getJob('malformed-1');
    expect(await job!.getState()).toBe('failed');
    expect(job!.attemptsMade).toBe(1);
    expect(job!.failedReason).toMatch(/invalid payload: .*eventId: must be 1–64 characters/);
    expect(job!.failedReason).toMatch(/occurredAt/);
    const frank = await readAggregate(system.infra.db.pool, 'frank', 'stress-profile', '-');
    expect((frank!.data as { reports: number }).reports).toBe(1);
    const metrics = await system.infra.registry.metrics();
    expect(metrics).toMatch(/ingest_rejected_total\{queue="behavioral-event"\} 1/);
    expect(metrics).toMatch(/event_to_visible_seconds_count [1-9]/);
  });
});
