import type { Job, Queue } from 'bullmq';
import type { Config } from '@shared/config/config';
import type { Database } from '@shared/db/prisma-client';
import { enqueueRecompute } from '@shared/recompute/recompute-queue';

/**
 * The periodic work. Each task is a maintenance job (one per cron tick across all
 * processes); it reports progress so an operator can follow it in Bull Board.
 */
export const MAINTENANCE_TASKS = ['nightly-recompute', 'retention', 'cache-warming'] as const;
export type MaintenanceTask = (typeof MAINTENANCE_TASKS)[number];

export interface MaintenanceDeps {
  db: Pick<Database, 'pool'>;
  config: Pick<Config, 'retention' | 'recomputeDebounceMs'>;
  recomputeQueue: Queue;
  queues: Queue[];
  now: () => Date;
}

const DAY_MS = 86_400_000;

async function recomputeAll(job: Job, deps: MaintenanceDeps, userIds: string[]): Promise<number> {
  for (let i = 0; i < userIds.length; i += 1) {
    await enqueueRecompute(deps.recomputeQueue, { userId: userIds[i]! }, deps.config.recomputeDebounceMs);
    if (i % 500 === 0) await job.updateProgress(Math.round((100 * i) / userIds.length));
  }
  await job.updateProgress(100);
  return userIds.length;
}

/** Windows move even without new events: every user active in the last 90 days. */
async function nightlyRecompute(job: Job, deps: MaintenanceDeps) {
  const since = new Date(deps.now().getTime() - 90 * DAY_MS);
  const { rows } = await deps.db.pool.query<{ user_id: string }>('SELECT user_id FROM analytics_users WHERE last_activity_at > $1', [since]);
  return { usersEnqueued: await recomputeAll(job, deps, rows.map((r) => r.user_id)) };
}

/** Trims old load snapshots and finished jobs; raw rows only when a maximum age is configured. */
async function retention(job: Job, deps: MaintenanceDeps) {
  const today = deps.now();
  const snapshotCutoff = new Date(today.getTime() - deps.config.retention.snapshotDays * DAY_MS);
  const snapshots = await deps.db.pool.query('DELETE FROM cognitive_load_snapshots WHERE day < $1::date', [snapshotCutoff]);
  let rawEvents = 0;
  if (deps.config.retention.rawMaxAgeDays !== null) {
    const rawCutoff = new Date(today.getTime() - deps.config.retention.rawMaxAgeDays * DAY_MS);
    const { rows } = await deps.db.pool.query<{ user_id: string }>('SELECT user_id FROM analytics_users');
    for (const [i, { user_id }] of rows.entries()) {
      const deleted = await deps.db.pool.query('DELETE FROM behavioral_events WHERE user_id = $1 AND occurred_at < $2', [user_id, rawCutoff]);
      await deps.db.pool.query('DELETE FROM study_sessions WHERE user_id = $1 AND started_at < $2', [user_id, rawCutoff]);
      rawEvents += deleted.rowCount ?? 0;
      if (i % 500 === 0) await job.updateProgress(Math.round((100 * i) / rows.length));
    }
  }
  let jobsCleaned = 0;
  for (const queue of deps.queues) {
    jobsCleaned += (await queue.clean(3_600_000, 10_000, 'completed')).length;
    jobsCleaned += (await queue.clean(7 * DAY_MS, 10_000, 'failed')).length;
  }
  await job.updateProgress(100);
  return { snapshotsDeleted: snapshots.rowCount ?? 0, rawEventsDeleted: rawEvents, jobsCleaned };
}

/** Before their usual study hour, refresh the aggregates (and so the cache) of the most active users. */
async function cacheWarming(job: Job, deps: MaintenanceDeps) {
  const now = deps.now();
  const nextHour = (now.getUTCHours() + 1) % 24;
  const { rows } = await deps.db.pool.query<{ user_id: string }>(
    `SELECT user_id FROM (
       SELECT s.user_id, mode() WITHIN GROUP (ORDER BY extract(hour FROM s.started_at AT TIME ZONE 'UTC')) AS usual_hour, count(*) AS sessions
       FROM analytics_users u JOIN study_sessions s ON s.user_id = u.user_id AND s.started_at > $1
       WHERE u.last_activity_at > $1
       GROUP BY s.user_id) t
     WHERE usual_hour = $2 ORDER BY sessions DESC LIMIT 1000`,
    [new Date(now.getTime() - 7 * DAY_MS), nextHour],
  );
  return { usersWarmed: await recomputeAll(job, deps, rows.map((r) => r.user_id)) };
}

export async function runMaintenanceTask(task: string, job: Job, deps: MaintenanceDeps): Promise<unknown> {
  switch (task) {
    case 'nightly-recompute':
      return nightlyRecompute(job, deps);
    case 'retention':
      return retention(job, deps);
    case 'cache-warming':
      return cacheWarming(job, deps);
    default:
      throw new Error(`unknown maintenance task ${JSON.stringify(task)}`);
  }
}
