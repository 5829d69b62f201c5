import type { Queue } from 'bullmq';

/**
 * Jobs a queue still has to run before the pipeline has caught up with what was sent. A
 * recompute scheduled for the moment a row stamped ahead of the clock becomes visible
 * (reason `visible`, up to 5 minutes away) is not work behind: what was stored meanwhile
 * is complete for its own "now".
 */
export async function busyJobs(queue: Queue): Promise<number> {
  const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
  const busy = Object.values(counts).reduce((a, b) => a + b, 0);
  if (!counts.delayed) return busy;
  const delayed = await queue.getDelayed(0, -1);
  return busy - delayed.filter((job) => (job?.data as { reason?: string } | undefined)?.reason === 'visible').length;
}

/**
 * Resolves once none of `queues` has had a job to run for `quietMs` (a recompute queued by
 * the last ingest batch appears a moment after that batch's job completes).
 */
export async function waitUntilDrained(queues: Queue[], options: { timeoutMs?: number; quietMs?: number } = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let quietSince = 0;
  for (;;) {
    let busy = 0;
    for (const queue of queues) busy += await busyJobs(queue);
    if (busy > 0) quietSince = 0;
    else if (!quietSince) quietSince = Date.now();
    else if (Date.now() - quietSince >= (options.quietMs ?? 300)) return;
    if (Date.now() > deadline) throw new Error(`queues not drained within ${options.timeoutMs ?? 60_000} ms (${busy} jobs left)`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
