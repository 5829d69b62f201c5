import cron, { type ScheduledTask } from 'node-cron';
import type { Queue } from 'bullmq';
import type { Config } from '@shared/config/config';
import type { Logger } from '@shared/logger/logger';
import type { MaintenanceTask } from './maintenance-tasks';

/**
 * node-cron only enqueues. Each tick adds a maintenance job whose id is the task and the
 * tick's scheduled second, so with any number of worker processes the tick's work runs
 * once: the second add of the same id is a no-op while the first job exists (kept 7 days).
 *
 * The id is built from the tick's *scheduled* time (node-cron's `context.date`), which is
 * the same in every process, not from the moment each process happened to fire. It holds
 * no ':' (BullMQ refuses custom ids with colons), e.g. `retention@2026-11-25T033000Z`.
 */
export function tickJobId(task: MaintenanceTask, tick: Date): string {
  const second = new Date(Math.floor(tick.getTime() / 1_000) * 1_000);
  return `${task}@${second.toISOString().slice(0, 19).replace(/:/g, '')}Z`;
}

export async function enqueueTick(queue: Queue, task: MaintenanceTask, tick: Date): Promise<void> {
  await queue.add(task, { task, tick: tick.toISOString() }, {
    jobId: tickJobId(task, tick),
    attempts: 3,
    backoff: { type: 'exponential', delay: 5_000 },
    removeOnComplete: { age: 7 * 86_400 },
    removeOnFail: { age: 7 * 86_400 },
  });
}

export function startScheduler(deps: { config: Pick<Config, 'cron'>; maintenanceQueue: Queue; logger: Logger }): { stop(): Promise<void> } {
  const schedules: [MaintenanceTask, string][] = [
    ['nightly-recompute', deps.config.cron.nightlyRecompute],
    ['retention', deps.config.cron.retention],
    ['cache-warming', deps.config.cron.cacheWarming],
  ];
  const tasks: ScheduledTask[] = schedules.map(([task, expression]) =>
    cron.schedule(
      expression,
      async (context) => {
        await enqueueTick(deps.maintenanceQueue, task, context.date).catch((error: Error) =>
          deps.logger.warn({ task, err: error.message }, 'could not enqueue a scheduled task'),
        );
      },
      { timezone: 'UTC', name: task, noOverlap: true },
    ),
  );
  // Once at start (one job for every process started in the same minute): the rollups of
  // users stored before an upgrade are built in the background; with none to build, the job
  // ends at once.
  void enqueueTick(deps.maintenanceQueue, 'build-rollups', new Date(Math.floor(Date.now() / 60_000) * 60_000)).catch((error: Error) =>
    deps.logger.warn({ task: 'build-rollups', err: error.message }, 'could not enqueue a scheduled task'),
  );
  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= Promise.all(tasks.map((t) => t.destroy())).then(() => undefined);
      return stopped;
    },
  };
}
