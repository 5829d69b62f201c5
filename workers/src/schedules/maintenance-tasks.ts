import type { Job, Queue } from 'bullmq';
import type { Config } from '@shared/config/config';
import type { Database } from '@shared/db/database';
import { addDays, DAY_MS, HOUR_MS, utcDay } from '@shared/aggregates/math';
import { enqueueRecomputes as enqueueRecomputeJobs } from '@shared/recompute/recompute-queue';
import { countUsers, userPages } from '@shared/store/user-pages';
import { rebuildUserRollups } from '@shared/store/rollups';
import { deleteLoadSnapshotsBefore } from '@shared/store/aggregate-store';
import { deleteRawRowsBefore, usersWhoUsuallyStudyAt } from '@shared/store/event-store';

/**
 * The periodic work. Each task is a maintenance job (one per cron tick across all
 * processes); it reports progress so an operator can follow it in Bull Board. Every
 * cutoff is taken from the task's clock (`now`), so a task run with a pinned clock
 * behaves as it would at that time.
 */
export const MAINTENANCE_TASKS = ['nightly-recompute', 'retention', 'cache-warming', 'build-rollups'] as const;
export type MaintenanceTask = (typeof MAINTENANCE_TASKS)[number];

export interface MaintenanceDeps {
  db: Pick<Database, 'pool'>;
  config: Pick<Config, 'retention' | 'recomputeDebounceMs'>;
  recomputeQueue: Queue;
  queues: Queue[];
  now: () => Date;
}

/** The recompute window of SPEC 5: a user with no activity for this long has nothing that moves. */
export const ACTIVE_USER_DAYS = 90;
/** Completed jobs are kept this long for Bull Board (the queues also trim them on completion). */
export const COMPLETED_JOB_RETENTION_MS = HOUR_MS;
/** Failed jobs are kept a week for inspection, as EVENT_JOB_OPTIONS.removeOnFail says. */
export const FAILED_JOB_RETENTION_MS = 7 * DAY_MS;
/** Cache warming looks at this much history to find a user's usual hour and activity. */
export const WARMING_LOOKBACK_DAYS = 7;
export const WARMING_MAX_USERS = 1_000;

/** `refresh`: only the windows moved (behind new data in the queue); absent: the rows changed. */
async function enqueueRecomputes(deps: MaintenanceDeps, userIds: string[], reason?: 'refresh'): Promise<void> {
  await enqueueRecomputeJobs(deps.recomputeQueue, userIds.map((userId) => ({ userId, reason })), deps.config.recomputeDebounceMs);
}

/**
 * Windows move even without new events: every user active in the last 90 days, a page at
 * a time (memory stays flat with millions of users).
 */
async function nightlyRecompute(job: Job, deps: MaintenanceDeps) {
  const activeSince = new Date(deps.now().getTime() - ACTIVE_USER_DAYS * DAY_MS);
  const total = await countUsers(deps.db.pool, { activeSince });
  let enqueued = 0;
  for await (const page of userPages(deps.db.pool, { activeSince })) {
    await enqueueRecomputes(deps, page, 'refresh');
    enqueued += page.length;
    await job.updateProgress(Math.min(99, Math.round((100 * enqueued) / Math.max(total, 1))));
  }
  await job.updateProgress(100);
  return { usersEnqueued: enqueued };
}

/**
 * Trims the daily load snapshots (keeping the last `snapshotDays` UTC days, today
 * included) and finished jobs. Raw rows are the source of truth of "all" periods and
 * "any age" rules, so they are deleted only when a maximum age is configured; a user who
 * lost rows is recomputed, so their aggregates stop counting what is gone.
 */
async function retention(job: Job, deps: MaintenanceDeps) {
  const now = deps.now();
  const snapshotsDeleted = await deleteLoadSnapshotsBefore(deps.db.pool, addDays(utcDay(now), -(deps.config.retention.snapshotDays - 1)));

  let rawRowsDeleted = 0;
  let usersRecomputed = 0;
  const rawMaxAgeDays = deps.config.retention.rawMaxAgeDays;
  if (rawMaxAgeDays !== null) {
    const cutoff = new Date(now.getTime() - rawMaxAgeDays * DAY_MS);
    const total = await countUsers(deps.db.pool);
    let seen = 0;
    for await (const page of userPages(deps.db.pool)) {
      const changed: string[] = [];
      for (const userId of page) {
        const deleted = await deleteRawRowsBefore(deps.db.pool, userId, cutoff);
        rawRowsDeleted += deleted;
        if (deleted > 0) changed.push(userId);
      }
      await enqueueRecomputes(deps, changed);
      usersRecomputed += changed.length;
      seen += page.length;
      await job.updateProgress(Math.min(99, Math.round((100 * seen) / Math.max(total, 1))));
    }
  }

  // Queue.clean measures age against the wall clock; convert the task's cutoffs to graces.
  const graceUntil = (cutoff: number) => Math.max(0, Date.now() - cutoff);
  let jobsCleaned = 0;
  for (const queue of deps.queues) {
    // limit 0 = no limit: clean() itself works in chunks of 10,000.
    jobsCleaned += (await queue.clean(graceUntil(now.getTime() - COMPLETED_JOB_RETENTION_MS), 0, 'completed')).length;
    jobsCleaned += (await queue.clean(graceUntil(now.getTime() - FAILED_JOB_RETENTION_MS), 0, 'failed')).length;
  }
  await job.updateProgress(100);
  return { snapshotsDeleted, rawRowsDeleted, usersRecomputed, jobsCleaned };
}

/**
 * Before their usual study hour, refresh the aggregates (and so the cache, by write-through)
 * of the most active users: those whose most frequent session start hour over the last
 * week is the coming hour, most sessions first.
 */
async function cacheWarming(_job: Job, deps: MaintenanceDeps) {
  const now = deps.now();
  const nextHour = (now.getUTCHours() + 1) % 24;
  const userIds = await usersWhoUsuallyStudyAt(deps.db.pool, { hour: nextHour, since: new Date(now.getTime() - WARMING_LOOKBACK_DAYS * DAY_MS), until: now, limit: WARMING_MAX_USERS });
  await enqueueRecomputes(deps, userIds, 'refresh');
  return { usersWarmed: userIds.length, hour: nextHour };
}

/**
 * Builds the rollups of users stored before they existed, so their recomputes stop reading
 * every raw row (what `pnpm recompute -- --build-rollups` does, here in the background after
 * an upgrade, with progress in Bull Board). Each user in its own transaction: an interrupted
 * run leaves users built or untouched, and the next run takes the rest.
 */
async function buildRollups(job: Job, deps: MaintenanceDeps) {
  const total = await countUsers(deps.db.pool, { withoutRollups: true });
  let built = 0;
  for await (const page of userPages(deps.db.pool, { withoutRollups: true })) {
    for (const userId of page) if (await rebuildUserRollups(deps.db.pool, userId)) built += 1;
    await job.updateProgress(Math.min(99, Math.round((100 * built) / Math.max(total, 1))));
  }
  await job.updateProgress(100);
  return { usersBuilt: built };
}

export async function runMaintenanceTask(task: string, job: Job, deps: MaintenanceDeps): Promise<unknown> {
  switch (task) {
    case 'nightly-recompute':
      return nightlyRecompute(job, deps);
    case 'retention':
      return retention(job, deps);
    case 'cache-warming':
      return cacheWarming(job, deps);
    case 'build-rollups':
      return buildRollups(job, deps);
    default:
      throw new Error(`unknown maintenance task ${JSON.stringify(task)}`);
  }
}
