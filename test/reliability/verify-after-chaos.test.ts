import type pg from 'pg';
import type { BehavioralEvent } from '@shared/contracts/behavioral-event';
import type { EventPublisher } from '@shared/queues/event-publisher';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { enqueueTick } from '../../workers/src/schedules/scheduler';
import { crashLines, startWorkerProcess } from '../support/processes';
import { type QueueProbe, waitFor } from '../support/pipeline-probe';
import { runTool } from '../support/run-tool';
import { chunks, simulatedTraffic } from '../support/traffic';
import { startWorkerProcessFixture, type WorkerProcessFixture } from '../support/worker-process-fixture';

/**
 * SPEC 6's guarantee, end to end: every stored aggregate equals the formulas over the raw
 * rows, and the rollups the recomputes read equal their raw rows, after a run with all that
 * could make a rollup drift — rows out of order, duplicates delivered again, rows stamped
 * ahead of the clock, a worker SIGKILLed in the middle of ingest, and a retention pass that
 * deletes the oldest rows. The judge is `pnpm recompute -- --all --verify`, run as a user runs it.
 */
let fixture: WorkerProcessFixture;
let pool: pg.Pool;
let probe: QueueProbe;
let publisher: EventPublisher;
let env: Record<string, string>;

const RETENTION_DAYS = 95;

beforeAll(async () => {
  fixture = await startWorkerProcessFixture('vc', {
    WORKER_CONCURRENCY: '5',
    // A dead worker's jobs come back after 2 s instead of BullMQ's 30 s.
    WORKER_LOCK_DURATION_MS: '2000',
    WORKER_STALLED_INTERVAL_MS: '500',
    RETENTION_RAW_MAX_AGE_DAYS: String(RETENTION_DAYS),
  });
  ({ pool, probe, publisher, env } = fixture);
}, 30_000);

afterAll(() => fixture?.close());

/** A deterministic shuffle: rows reach the workers in no order of time. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i -= 1) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

it('finds no drift with pnpm recompute --all --verify after out-of-order rows, duplicates, rows ahead, a SIGKILL mid-ingest and retention', async () => {
  const users = Array.from({ length: 8 }, (_, i) => `chaos-${i}`);
  const traffic = simulatedTraffic(users, { days: RETENTION_DAYS + 15, seed: 31 });
  const events = shuffled(traffic.events, 7);
  const duplicates = events.filter((_, i) => i % 5 === 0);
  const aheadAt = new Date(Date.now() + 8_000).toISOString();
  const ahead: BehavioralEvent[] = users.slice(0, 4).flatMap((userId, i) => [
    { eventId: `ahead-r${i}`, userId, type: 'card_reviewed', occurredAt: aheadAt, properties: { objectiveId: 'ahead-objective', correct: i % 2 === 0, responseMs: 900 } },
    { eventId: `ahead-s${i}`, userId, type: 'self_report', occurredAt: aheadAt, properties: { stress: 4 } },
  ]);
  const [firstWave, secondWave] = [events.slice(0, Math.floor(events.length * 0.6)), events.slice(Math.floor(events.length * 0.6))];
  expect(firstWave.length).toBeGreaterThan(1_000);

  // A backlog first, so the worker is surely mid-ingest when it dies.
  for (const batch of chunks(firstWave, 250)) await publisher.publishEvents(batch);
  const first = await startWorkerProcess('chaos-worker-1', env);
  await waitFor('the first worker to store 300 rows', async () => (await fixture.rowCount()) >= 300, 30_000, 5);
  first.signal('SIGKILL');
  expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
  expect(await fixture.rowCount()).toBeLessThan(firstWave.length);

  for (const batch of chunks([...secondWave, ...ahead], 250)) await publisher.publishEvents(batch);
  await publisher.publishSessionCompleted(traffic.sessions);
  // Delivered again, in other batches: stored once, counted once.
  for (const batch of chunks(duplicates, 250)) await publisher.publishEvents(batch);
  await publisher.publishSessionCompleted(traffic.sessions.slice(0, 20));
  const second = await startWorkerProcess('chaos-worker-2', env);
  // Thousands of jobs for one worker process, while other suites share the two cores: a
  // bound on waiting, not a speed being measured (75 s alone, past 90 s in a loaded full run).
  await probe.drained(180_000);
  // The rows stamped ahead become visible by themselves (their recompute was scheduled for then).
  await waitFor('the rows stamped ahead to be due', () => Date.now() > Date.parse(aheadAt) + 1_000, 20_000, 100);
  await probe.drained(30_000);
  const allStoredAt = Date.now();

  const oldRows = async () =>
    (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM behavioral_events WHERE occurred_at < now() - $1 * interval '1 day'`, [RETENTION_DAYS])).rows[0]!.n;
  expect(await oldRows()).toBeGreaterThan(0);
  const maintenance = probe.queue(QUEUE_NAMES.maintenance);
  // Retention, then the nightly recompute of every active user, as the schedules run them.
  await enqueueTick(maintenance, 'retention', new Date());
  await probe.drained(60_000);
  expect(await oldRows()).toBe(0);
  // --verify calls a user whose rows arrived less than 10 s before its computation stale (a
  // recompute due): the last computation comes after that, as a night's would.
  await waitFor('10 s since the last row was stored', () => Date.now() > allStoredAt + 11_000, 20_000, 100);
  await enqueueTick(maintenance, 'nightly-recompute', new Date(Date.now() + 1_000));
  await probe.drained(60_000);
  expect(await maintenance.getJobCounts('failed')).toEqual({ failed: 0 });
  const completed = (await maintenance.getJobs(['completed'])).map((job) => job.name);
  expect(completed).toEqual(expect.arrayContaining(['retention', 'nightly-recompute']));
  expect(crashLines(second)).toEqual([]);

  const verified = await runTool('recompute.ts', ['--all', '--verify'], env, 120_000);
  expect(verified.stdout).toContain(`verified ${users.length} users`);
  expect(verified.stdout).toContain(`${users.length} ok, 0 with drift, 0 stale`);
  expect(verified.code).toBe(0);
  await second.stop();
}, 300_000);
