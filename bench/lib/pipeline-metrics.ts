import { QUEUE_NAMES } from '@shared/queues/queue-names';
import type { BenchSystem } from './bench-system';

/**
 * Recompute jobs completed so far by the bench's workers, from BullMQ's own `completed`
 * metric of the recompute queue: a counter in Redis incremented by the same script that
 * moves a job to completed, whichever process ran it. Exact, unlike summing the worker
 * processes' prom-client counters over IPC, where a child that does not answer within
 * 1 s is left out and a restarted child starts again from zero.
 */
export async function recomputesDone(system: BenchSystem): Promise<number> {
  const { meta } = await system.queue(QUEUE_NAMES.recompute).getMetrics('completed', 0, 0);
  return meta.count;
}
