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
