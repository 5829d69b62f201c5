import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { BehavioralEvent } from '@shared/contracts/behavioral-event';
import { startWorkerProcess } from '../support/processes';
import { expectStoredAggregates } from '../support/expected-aggregates';
import { chunks, simulatedTraffic } from '../support/traffic';
import { runTool } from '../support/run-tool';
import { startWorkerProcessFixture, type WorkerProcessFixture } from '../support/worker-process-fixture';

/**
 * SPEC 6: which of two computations of a user is newer never depends on the clocks of the
 * hosts that ran them. Two worker processes, one of them 2 s behind (libfaketime shifts its
 * whole clock: Date, timers' wall time, BullMQ's timestamps), share a stream of events
 * stamped by the study app's (this process's) clock. Each user's stored aggregates must be
 * exactly what its raw rows give at the stored computedAt.
 */
const FAKETIME_LIBRARY = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const BEHIND = { LD_PRELOAD: FAKETIME_LIBRARY, FAKETIME: '-2s', FAKETIME_DONT_FAKE_MONOTONIC: '1' };
const USERS = Array.from({ length: 50 }, (_, i) => `skew-${i}`);
let fixture: WorkerProcessFixture;

beforeAll(async () => {
  // Debian's libfaketime (.ci/run installs it).
  expect(existsSync(FAKETIME_LIBRARY)).toBe(true);
  fixture = await startWorkerProcessFixture('sk', {});
}, 60_000);

afterAll(() => fixture?.close());

it('converges on the newest data when two workers disagree by 2 s about the time', async () => {
  // The shift is real: a process started with it reads a clock about 2 s behind ours.
  const theirs = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(Date.now()))'], { env: { ...process.env, ...BEHIND } }));
  expect(Date.now() - theirs).toBeGreaterThan(1_500);

  await startWorkerProcess('on-time', fixture.env);
  await startWorkerProcess('behind', { ...fixture.env, ...BEHIND });

  // 5,000 events for 50 users in 20 waves, each stamped when it is sent: to the worker
  // behind, every wave is 2 s in the future when it arrives.
  const traffic = simulatedTraffic(USERS, { days: 8, seed: 41 }).events.slice(0, 5_000);
  expect(traffic.length).toBe(5_000);
  const published: BehavioralEvent[] = [];
  for (const wave of chunks(traffic, 250)) {
    const stamped = wave.map((e) => ({ ...e, occurredAt: new Date().toISOString() }));
    await fixture.publisher.publishEvents(stamped);
    published.push(...stamped);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await fixture.probe.drained(120_000);
  // Rows still ahead of a computation's "now" get their recompute when their time comes;
  // wait for those too, so every user ends on a computation that sees all of its rows.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  await fixture.probe.drained(60_000);

  for (const userId of USERS) {
    const { rows } = await fixture.pool.query<{ computed_at: Date; n: number }>(
      'SELECT min(computed_at) AS computed_at, count(DISTINCT computed_at)::int AS n FROM aggregate_snapshots WHERE user_id = $1',
      [userId],
    );
    expect({ userId, computations: rows[0]!.n }).toEqual({ userId, computations: 1 });
    await expectStoredAggregates(fixture.pool, userId, { events: published, sessions: [] }, rows[0]!.computed_at);
  }
  const { rows: seen } = await fixture.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM aggregate_snapshots WHERE aggregate = 'behavioral-insights/dashboard' AND (data->'totals'->>'events')::int > 0");
  expect(seen[0]!.n).toBe(USERS.length);

  const verify = await runTool('recompute.ts', ['--all', '--verify'], { ...fixture.env, LOG_LEVEL: 'silent' }, 120_000);
  expect({ code: verify.code, stderr: verify.stderr.slice(-500) }).toEqual({ code: 0, stderr: expect.any(String) });
  expect(verify.stdout).toMatch(/verified 50 users in .*: 50 ok, 0 with drift, 0 stale, 0 failed/);
}, 240_000);
