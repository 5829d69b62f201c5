import { API_KEYS_ENV, bearer } from '../support/api-app';
import { startApiProcess, startWorkerProcess, type ApiProcess } from '../support/processes';
import { waitFor } from '../support/pipeline-probe';
import { startWorkerProcessFixture, type WorkerProcessFixture } from '../support/worker-process-fixture';

/**
 * SPEC 5.1 and 6: a mission streak ends when a day passes with no completed mission, and a
 * read of aggregates older than their TTL brings the recompute that notices — with no new
 * event. The API and worker processes run 15 s before a UTC midnight (libfaketime moves
 * their whole clock by the same offset, so they agree with each other); this process only
 * talks HTTP to them and computes timestamps with the same offset.
 */
const FAKETIME_LIBRARY = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const DAY = 86_400_000;
const TTL_MS = 2_000;
let fixture: WorkerProcessFixture;
let api: ApiProcess;
/** Their clock minus ours. */
let offsetMs: number;
const theirNow = () => Date.now() + offsetMs;

beforeAll(async () => {
  const now = Date.now();
  const nextMidnight = Math.ceil(now / DAY) * DAY;
  // Whole seconds: libfaketime's relative offsets are given in seconds. Their clock reaches
  // midnight about 25 s from now, time enough to start both processes and read once before.
  const offsetSeconds = Math.round((nextMidnight - 25_000 - now) / 1_000);
  offsetMs = offsetSeconds * 1_000;
  const shifted = { LD_PRELOAD: FAKETIME_LIBRARY, FAKETIME: `${offsetSeconds >= 0 ? '+' : ''}${offsetSeconds}s`, FAKETIME_DONT_FAKE_MONOTONIC: '1' };
  fixture = await startWorkerProcessFixture('mn', { API_KEYS: API_KEYS_ENV, CACHE_TTL_OVERRIDES: `missionSummaries=${TTL_MS}` });
  await startWorkerProcess('worker', { ...fixture.env, ...shifted });
  api = await startApiProcess('api', { ...fixture.env, ...shifted });
}, 90_000);

afterAll(() => fixture?.close());

async function streakDays(): Promise<{ status: number; streak: number; computedAt: string }> {
  const res = await fetch(`${api.url}/api/analytics/missions/summary?userId=streak-ana&period=7d`, { headers: bearer('read') });
  const body = (await res.json()) as { data: { currentStreakDays: number }; meta: { computedAt: string } };
  return { status: res.status, streak: body.data.currentStreakDays, computedAt: body.meta.computedAt };
}

it('ends a streak when a day passes with no mission, with no new event', async () => {
  const today = Math.floor(theirNow() / DAY) * DAY;
  const midnight = today + DAY;
  expect(midnight - theirNow()).toBeGreaterThan(3_000);
  // A mission completed at noon on each of the two days before "today": a 2-day streak
  // ending yesterday, which the next midnight breaks.
  const missions = [1, 2].map((daysBack) => ({
    eventId: `streak-${daysBack}`,
    userId: 'streak-ana',
    type: 'mission_completed',
    occurredAt: new Date(today - daysBack * DAY + 12 * 3_600_000).toISOString(),
    properties: { missionId: `m${daysBack}`, successScore: 0.7, durationMs: 900_000 },
  }));
  const ingest = await fetch(`${api.url}/api/events`, { method: 'POST', headers: { ...bearer('ingest'), 'Content-Type': 'application/json' }, body: JSON.stringify({ events: missions }) });
  expect(ingest.status).toBe(202);
  await fixture.probe.drained();

  const before = await streakDays();
  expect({ status: before.status, streak: before.streak }).toEqual({ status: 200, streak: 2 });
  expect(Date.parse(before.computedAt)).toBeLessThan(midnight);

  const reads: { status: number; streak: number; computedAt: string }[] = [];
  await waitFor(
    'the streak to end after midnight',
    async () => {
      const read = await streakDays();
      reads.push(read);
      return read.streak === 0;
    },
    midnight - theirNow() + TTL_MS + 15_000,
    200,
  );
  // Every read answered; the broken streak comes from a computation after midnight.
  expect(reads.every((r) => r.status === 200)).toBe(true);
  expect(Date.parse(reads.at(-1)!.computedAt)).toBeGreaterThanOrEqual(midnight);
  expect(reads.filter((r) => Date.parse(r.computedAt) < midnight).every((r) => r.streak === 2)).toBe(true);
}, 90_000);
