import type { BehavioralEvent } from '@shared/contracts/behavioral-event';
import { BENCH_KEYS, type BenchSystem } from '../lib/bench-system';
import { measureNoop } from '../lib/noop-ceiling';
import { recomputesDone } from '../lib/pipeline-metrics';
import { eventAt } from '../lib/event-factory';
import { requestJson } from '../lib/http-load';
import type { IngestResult } from '../lib/results';
import type { ScenarioContext } from '../lib/scenario';
import { round } from '../lib/stats';
import { seededRandom } from '../lib/zipf';

/**
 * Events applied end to end at saturation — enqueued, stored, and every touched user's
 * aggregates recomputed (the queues empty, delayed recomputes included) — published as
 * fast as the publisher takes them, in batches of 1,000:
 * - through the typed publisher (one addBulk per batch, one after the other);
 * - through POST /api/events (4 requests in flight);
 * beside the ceiling: the same publisher, queue options, worker settings and number of
 * worker processes with a no-op processor, under another prefix, in the same run (before
 * and after, averaged).
 */
const BATCH = 1_000;
const HTTP_IN_FLIGHT = 4;

function eventsFor(count: number, users: number, userPrefix: string, seed: number): BehavioralEvent[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => eventAt(random, `${userPrefix}${Math.floor(random() * users)}`, new Date()));
}


/** Seconds from now until the pipeline is idle (polled every 20 ms). */
async function untilIdle(system: BenchSystem, start: number): Promise<number> {
  const deadline = Date.now() + 600_000;
  while ((await system.backlog()) > 0) {
    if (Date.now() > deadline) throw new Error('the pipeline did not drain within 10 minutes');
    await new Promise((r) => setTimeout(r, 20));
  }
  return (performance.now() - start) / 1_000;
}

/** Every event stored, and every user's aggregates computed since `since` (a computation replaces all of a user's snapshot rows, each stamped with its time). */
async function checkApplied(system: BenchSystem, userPrefix: string, expected: number, since: Date): Promise<void> {
  const { rows } = await system.pool.query<{ stored: number; stale: number }>(
    `SELECT (SELECT count(*)::int FROM behavioral_events WHERE user_id LIKE $1) AS stored,
            (SELECT count(*)::int FROM analytics_users u WHERE u.user_id LIKE $1
               AND NOT EXISTS (SELECT 1 FROM aggregate_snapshots s WHERE s.user_id = u.user_id AND s.computed_at >= $2)) AS stale`,
    [`${userPrefix}%`, since],
  );
  const { stored, stale } = rows[0]!;
  if (stored !== expected || stale !== 0) throw new Error(`${userPrefix}: ${stored}/${expected} events stored, ${stale} users not recomputed`);
}

const MAX_503_RETRIES = 10;

/**
 * POSTs a batch the way the study app would: a 503 (the queue did not take the batch in
 * time, on a saturated machine) is sent again after its Retry-After; the event ids make a
 * batch that was taken after all harmless to send twice. Returns how many 503s it met.
 */
async function postAsAClientWould(url: string, events: BehavioralEvent[]): Promise<number> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await requestJson(url, { method: 'POST', key: BENCH_KEYS.ingest, body: { events } });
      return attempt;
    } catch (error) {
      if (!/→ 503:/.test((error as Error).message) || attempt >= MAX_503_RETRIES) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

export async function runIngest({ system, quick, progress, cleanup }: ScenarioContext): Promise<IngestResult> {
  const count = quick ? 10_000 : 60_000;
  const users = 1_000;
  const { config } = system.main.api;

  progress(`BullMQ no-op ceiling: ${count.toLocaleString('en')} events, ${system.workers.count} processes × concurrency ${config.workerConcurrency}…`);
  const noopBefore = await measureNoop(system, cleanup, eventsFor(count, users, 'in', 1), BATCH);
  progress(`no-op: ${Math.round(noopBefore).toLocaleString('en')} jobs/s`);

  await system.waitForIdle();
  const recomputesBefore = await recomputesDone(system);
  const bulkEvents = eventsFor(count, users, 'ib', 2);
  progress(`typed publisher → stored → recomputed: ${count.toLocaleString('en')} events, ${users} users…`);
  const bulkSince = new Date();
  const bulkStart = performance.now();
  for (let i = 0; i < bulkEvents.length; i += BATCH) await system.publisher.publishEvents(bulkEvents.slice(i, i + BATCH));
  const bulkSeconds = await untilIdle(system, bulkStart);
  await checkApplied(system, 'ib', count, bulkSince);
  const recomputes = (await recomputesDone(system)) - recomputesBefore;
  progress(`bulk: ${Math.round(count / bulkSeconds).toLocaleString('en')} events/s (${recomputes} recomputes)`);

  await system.waitForIdle();
  const httpEvents = eventsFor(count, users, 'ih', 3);
  progress(`POST /api/events → stored → recomputed: ${count.toLocaleString('en')} events, ${HTTP_IN_FLIGHT} requests in flight…`);
  const httpSince = new Date();
  const httpStart = performance.now();
  let next = 0;
  let requests = 0;
  let retried503 = 0;
  await Promise.all(
    Array.from({ length: HTTP_IN_FLIGHT }, async () => {
      while (next < httpEvents.length) {
        const batch = httpEvents.slice(next, next + BATCH);
        next += BATCH;
        requests += 1;
        retried503 += await postAsAClientWould(`${system.main.baseUrl}/api/events`, batch);
      }
    }),
  );
  const httpSeconds = await untilIdle(system, httpStart);
  await checkApplied(system, 'ih', count, httpSince);
  progress(`http: ${Math.round(count / httpSeconds).toLocaleString('en')} events/s${retried503 ? ` (${retried503} requests answered 503 and were sent again)` : ''}`);

  progress('BullMQ no-op ceiling again (the machine drifts; the ceiling is the mean of both)…');
  const noopAfter = await measureNoop(system, cleanup, eventsFor(count, users, 'io', 4), BATCH);
  progress(`no-op: ${Math.round(noopAfter).toLocaleString('en')} jobs/s`);
  const noopPerSec = (noopBefore + noopAfter) / 2;
  const bulkPerSec = count / bulkSeconds;
  const httpPerSec = count / httpSeconds;
  return {
    events: count,
    users,
    workerProcesses: system.workers.count,
    concurrency: config.workerConcurrency,
    bulk: { eventsPerSec: round(bulkPerSec, 0), seconds: round(bulkSeconds, 2) },
    http: { eventsPerSec: round(httpPerSec, 0), seconds: round(httpSeconds, 2), requests, retried503 },
    bullmqNoopPerSec: round(noopPerSec, 0),
    bullmqNoopRuns: [round(noopBefore, 0), round(noopAfter, 0)],
    ratio: round(bulkPerSec / noopPerSec, 3),
    httpRatio: round(httpPerSec / noopPerSec, 3),
    recomputes,
  };
}
