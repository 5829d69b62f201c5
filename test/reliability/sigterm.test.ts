import type pg from 'pg';
import type { EventPublisher } from '@shared/queues/event-publisher';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { crashLines, startWorkerProcess } from '../support/processes';
import { AcceptedLedger, expectExactTotals, type QueueProbe, waitFor } from '../support/pipeline-probe';
import { chunks, simulatedTraffic } from '../support/traffic';
import { startWorkerProcessFixture, type WorkerProcessFixture } from '../support/worker-process-fixture';

/**
 * SIGTERM while a worker is busy (a deploy, a scale-down): it stops taking jobs, finishes
 * the ones in flight, writes their batch, and exits 0, leaving no job behind as active. A
 * new worker continues from the queue; in the end every event is counted exactly once.
 */
let fixture: WorkerProcessFixture;
let pool: pg.Pool;
let probe: QueueProbe;
let publisher: EventPublisher;
let env: Record<string, string>;

beforeAll(async () => {
  fixture = await startWorkerProcessFixture('rt', { WORKER_CONCURRENCY: '10' });
  ({ pool, probe, publisher, env } = fixture);
}, 30_000);

afterAll(() => fixture?.close());

const rowCount = () => fixture.rowCount();

it('finishes the jobs in flight and flushes their batch on SIGTERM, exits 0, and a restart continues with nothing lost', async () => {
  const traffic = simulatedTraffic(['term-a', 'term-b', 'term-c', 'term-d'], { days: 40, seed: 23 });
  const cut = Math.floor(traffic.events.length * 0.7);
  const ledger = new AcceptedLedger();
  const events = probe.queue(QUEUE_NAMES.behavioralEvent);

  // A backlog first, so the worker is surely busy when the signal comes.
  for (const batch of chunks(traffic.events.slice(0, cut), 250)) {
    await publisher.publishEvents(batch);
    ledger.acceptEvents(batch);
  }
  const first = await startWorkerProcess('worker-1', env);
  await waitFor('the worker to store 300 rows', async () => (await rowCount()) >= 300, 30_000, 5);
  // And again while it shuts down, as an impatient operator would: that must not cut the shutdown short.
  first.signal('SIGTERM');
  await first.waitForLine(/"msg":"shutting down"/);
  const status = await first.stop('SIGTERM', 20_000);

  expect({ status, stopped: /"msg":"workers stopped"/.test(first.output()) }).toEqual({ status: { code: 0, signal: null }, stopped: true });
  // Stopped during load: work was left in the queue...
  const rowsAtExit = await rowCount();
  expect(rowsAtExit).toBeLessThan(cut);
  // ...but none was left half done: no job still active, and every completed job has its row.
  const counts = await events.getJobCounts('active', 'completed', 'failed');
  expect(counts).toEqual({ active: 0, completed: rowsAtExit, failed: 0 });

  for (const batch of chunks(traffic.events.slice(cut), 250)) {
    await publisher.publishEvents(batch);
    ledger.acceptEvents(batch);
  }
  await publisher.publishSessionCompleted(traffic.sessions);
  ledger.acceptSessions(traffic.sessions);
  const second = await startWorkerProcess('worker-2', env);
  await probe.drained(60_000);

  expect(await events.getJobCounts('completed', 'failed')).toEqual({ completed: ledger.eventCount, failed: 0 });
  await expectExactTotals(pool, ledger);
  expect(crashLines(first)).toEqual([]);
  expect(crashLines(second)).toEqual([]);
}, 120_000);
