import type pg from 'pg';
import type { Job } from 'bullmq';
import type { EventPublisher } from '@shared/queues/event-publisher';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { crashLines, startWorkerProcess, type ManagedProcess } from '../support/processes';
import { AcceptedLedger, expectExactTotals, type QueueProbe, waitFor } from '../support/pipeline-probe';
import { chunks, simulatedTraffic } from '../support/traffic';
import { enqueueRecompute } from '@shared/recompute/recompute-queue';
import { readAggregate } from '@shared/store/aggregate-store';
import { insertEvents, insertSessions } from '@shared/store/event-store';
import { expectStoredAggregates } from '../support/expected-aggregates';
import { startWorkerProcessFixture, type WorkerProcessFixture } from '../support/worker-process-fixture';

/**
 * A worker process dies by SIGKILL in the middle of a stream: no close(), no flush, its
 * jobs left active with their locks. A second worker finds them once the locks expire
 * (stalled-job recovery) and runs them again; the store's idempotent inserts make the
 * second run harmless. The aggregates must equal a from-scratch computation.
 */
let fixture: WorkerProcessFixture;
let pool: pg.Pool;
let probe: QueueProbe;
let publisher: EventPublisher;
let env: Record<string, string>;

beforeAll(async () => {
  fixture = await startWorkerProcessFixture('rk', {
    // Few jobs in flight, so the stream is still running when the worker dies.
    WORKER_CONCURRENCY: '5',
    // A dead worker's jobs come back after 2 s instead of BullMQ's 30 s.
    WORKER_LOCK_DURATION_MS: '2000',
    WORKER_STALLED_INTERVAL_MS: '500',
  });
  ({ pool, probe, publisher, env } = fixture);
}, 30_000);

afterAll(() => fixture?.close());

const rowCount = () => fixture.rowCount();

it('re-runs the jobs of a worker killed mid-stream on another worker: every event counted exactly once', async () => {
  const traffic = simulatedTraffic(['kill-a', 'kill-b', 'kill-c', 'kill-d'], { days: 40, seed: 11 });
  const [firstWave, secondWave] = [traffic.events.slice(0, Math.floor(traffic.events.length * 0.7)), traffic.events.slice(Math.floor(traffic.events.length * 0.7))];
  expect(firstWave.length).toBeGreaterThan(1_000);
  const ledger = new AcceptedLedger();
  const events = probe.queue(QUEUE_NAMES.behavioralEvent);

  // A backlog first, so the worker is surely mid-stream when it dies.
  for (const batch of chunks(firstWave, 250)) {
    await publisher.publishEvents(batch);
    ledger.acceptEvents(batch);
  }
  const first: ManagedProcess = await startWorkerProcess('worker-1', env);

  // Mid-stream: part of the rows are stored, the rest is still queued.
  await waitFor('the first worker to store 300 rows', async () => (await rowCount()) >= 300, 30_000, 5);
  first.signal('SIGKILL');
  expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });

  const orphaned: Job[] = await events.getJobs(['active']);
  expect(orphaned.length).toBeGreaterThan(0);
  expect(await rowCount()).toBeLessThan(firstWave.length);

  // The stream goes on while no worker runs; then a second worker starts.
  for (const batch of chunks(secondWave, 250)) {
    await publisher.publishEvents(batch);
    ledger.acceptEvents(batch);
  }
  await publisher.publishSessionCompleted(traffic.sessions);
  ledger.acceptSessions(traffic.sessions);
  const second = await startWorkerProcess('worker-2', env);
  await probe.drained(90_000);

  // The dead worker's jobs were found stalled and completed by the second one.
  for (const job of orphaned) {
    const after = await events.getJob(job.id!);
    expect({ id: job.id, state: await after!.getState(), stalled: after!.stalledCounter >= 1 }).toEqual({ id: job.id, state: 'completed', stalled: true });
  }
  expect(await events.getJobCounts('failed', 'completed')).toEqual({ failed: 0, completed: ledger.eventCount });
  expect(await probe.queue(QUEUE_NAMES.sessionCompleted).getJobCounts('failed')).toEqual({ failed: 0 });
  await expectExactTotals(pool, ledger);
  expect(crashLines(second)).toEqual([]);
  expect(second.isAlive()).toBe(true);
  await second.stop();
}, 120_000);

it('re-runs the recompute batches of a worker killed mid-batch: every user recomputed from its rows, nothing lost or doubled', async () => {
  const users = Array.from({ length: 240 }, (_, i) => `batch-${i}`);
  const traffic = simulatedTraffic(users, { days: 20, seed: 5 });
  // The raw rows are stored already; only their recomputes are queued (one job per user).
  for (const batch of chunks(traffic.events, 2_000)) await insertEvents(pool, batch);
  await insertSessions(pool, traffic.sessions);
  const recompute = probe.queue(QUEUE_NAMES.recompute);
  for (const userId of users) await enqueueRecompute(recompute, { userId }, 0);
  const recomputed = async () => (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM aggregate_snapshots WHERE user_id LIKE $1 AND aggregate = 'behavioral-insights/dashboard'`, ['batch-%'])).rows[0]!.n;

  // Small batches, many in a row: the worker dies with some users stored, others in its running batches.
  const batchEnv = { ...env, RECOMPUTE_BATCH_USERS: '8' };
  const first = await startWorkerProcess('batch-worker-1', batchEnv);
  await waitFor('the first worker to recompute some users', async () => (await recomputed()) >= 16, 30_000, 5);
  first.signal('SIGKILL');
  expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
  const orphaned = await recompute.getJobs(['active']);
  expect(orphaned.length).toBeGreaterThan(0);
  expect(await recomputed()).toBeLessThan(users.length);

  const second = await startWorkerProcess('batch-worker-2', batchEnv);
  await probe.drained(90_000);
  expect(await recompute.getJobCounts('failed')).toEqual({ failed: 0 });
  for (const job of orphaned) expect(await (await recompute.getJob(job.id!))?.getState()).toBe('completed');
  for (const userId of users) {
    const dashboard = await readAggregate(pool, userId, 'behavioral-insights/dashboard', '-');
    expect(dashboard).not.toBeNull();
    await expectStoredAggregates(pool, userId, traffic, new Date(dashboard!.computedAt));
  }
  expect(crashLines(second)).toEqual([]);
  await second.stop();
}, 120_000);
