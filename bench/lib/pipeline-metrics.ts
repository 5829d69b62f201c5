import { pipelineMetricsFor } from '@shared/metrics/pipeline-metrics';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import type { BenchSystem } from './bench-system';

/** Recompute jobs completed so far by the bench's workers (from the process's pipeline metrics). */
export async function recomputesDone(system: BenchSystem): Promise<number> {
  const { values } = await pipelineMetricsFor(system.main.api.infra.registry).jobs.get();
  return values.find((v) => v.labels.queue === QUEUE_NAMES.recompute && v.labels.result === 'completed')?.value ?? 0;
}
