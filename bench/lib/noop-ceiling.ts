import type { BehavioralEvent } from '@shared/contracts/behavioral-event';
import { EventPublisher } from '@shared/queues/event-publisher';
import type { BenchSystem } from './bench-system';
import type { Cleanup } from './cleanup';
import { startNoopWorkers } from './noop-workers';

/**
 * The ceiling: the same publisher and job options, and the ingest worker's settings with a
 * no-op processor, in as many child processes as the pipeline's workers, under its own
 * queue prefix. The children are started and ready before the clock starts. Published in
 * batches of `batch`, as the measurement beside it publishes. Jobs per second.
 */
export async function measureNoop(system: BenchSystem, cleanup: Cleanup, events: BehavioralEvent[], batch: number): Promise<number> {
  const { config } = system.main.api;
  const { infra } = system;
  const prefix = `${config.queuePrefix}noop`;
  const workers = await startNoopWorkers({ count: system.workers.count, env: { ...process.env, ...system.env, QUEUE_PREFIX: prefix } });
  cleanup.add('no-op worker processes', () => workers.close());
  const publisher = new EventPublisher({ connection: infra.producerRedis, prefix });
  try {
    const start = performance.now();
    const done = workers.completed(events.length);
    for (let i = 0; i < events.length; i += batch) await publisher.publishEvents(events.slice(i, i + batch));
    await done;
    return events.length / ((performance.now() - start) / 1_000);
  } finally {
    await publisher.close();
    await workers.close();
  }
}

