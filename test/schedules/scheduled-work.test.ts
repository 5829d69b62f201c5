import { Queue, QueueEvents, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { addDays, DAY_MS, HOUR_MS, utcDay } from '@shared/aggregates/math';
import type { Config } from '@shared/config/config';
import { createLogger } from '@shared/logger/logger';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { runMaintenanceTask, type MaintenanceDeps, type MaintenanceTask } from '../../workers/src/schedules/maintenance-tasks';
import { enqueueTick, startScheduler, tickJobId } from '../../workers/src/schedules/scheduler';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * The scheduled work (nightly recompute, retention, cache warming: the CRON_* schedules of docs/configuration.md) on real Redis and PostgreSQL: each tick's job is enqueued
 * once whatever the number of schedulers, and each maintenance task does what it says.
 */
const NOW = new Date('2026-06-10T07:00:00.000Z');
let system: TestSystem;
let redisUrl: string;
const connections: Redis[] = [];

function connection(): Redis {
  const client = new Redis(redisUrl, { maxRetriesPerRequest: null });
  connections.push(client);
  return client;
}

beforeAll(async () => {
  system = await startTestSystem({ workers: false });
  const target = system.config.redis;
  if (target.mode !== 'standalone') throw new Error('standalone Redis expected');
  redisUrl = target.url;
}, 60_000);

afterAll(async () => {
  await system?.stop();
  for (const client of connections) client.disconnect();
});

beforeEach(async () => {
  await system.infra.db.pool.query('TRUNCATE behavioral_events, study_sessions, analytics_users, cognitive_load_snapshots, aggregate_snapshots');
  for (const name of [QUEUE_NAMES.recompute, QUEUE_NAMES.maintenance]) await system.queue(name).obliterate({ force: true });
});

function deps(overrides: { retention?: Partial<Config['retention']>; now?: Date; queues?: Queue[] } = {}): MaintenanceDeps {
  return {
    db: system.infra.db,
    // A long debounce keeps the enqueued recomputes delayed, where the test can read them.
    config: { retention: { rawMaxAgeDays: null, snapshotDays: 400, ...overrides.retention }, recomputeDebounceMs: 60_000 },
    recomputeQueue: system.queue(QUEUE_NAMES.recompute),
    queues: overrides.queues ?? [],
    now: () => overrides.now ?? NOW,
  };
}

/** Runs a task as the maintenance worker would: on a real job of the maintenance queue. */
async function run(task: MaintenanceTask, maintenanceDeps: MaintenanceDeps): Promise<Record<string, unknown>> {
  const job = (await system.queue(QUEUE_NAMES.maintenance).add(task, { task })) as Job;
  return (await runMaintenanceTask(task, job, maintenanceDeps)) as Record<string, unknown>;
}

async function recomputeUsers(): Promise<string[]> {
  const jobs = await system.queue(QUEUE_NAMES.recompute).getJobs(['delayed', 'waiting']);
  return jobs.map((j) => (j.data as { userId: string }).userId).sort();
}

async function addUsers(users: [string, Date][]): Promise<void> {
  await system.infra.db.pool.query(
    'INSERT INTO analytics_users (user_id, last_activity_at) SELECT * FROM unnest($1::varchar[], $2::timestamptz[])',
    [users.map((u) => u[0]), users.map((u) => u[1])],
  );
}

const ago = (ms: number) => new Date(NOW.getTime() - ms);

describe('each tick runs once across schedulers', () => {
  it('two processes enqueueing the same tick give one job, under an id BullMQ accepts', async () => {
    const a = new Queue(QUEUE_NAMES.maintenance, { connection: connection(), prefix: system.config.queuePrefix });
    const b = new Queue(QUEUE_NAMES.maintenance, { connection: connection(), prefix: system.config.queuePrefix });
    try {
      const tick = new Date('2026-06-10T03:00:00.000Z');
      await Promise.all([enqueueTick(a, 'nightly-recompute', tick), enqueueTick(b, 'nightly-recompute', tick)]);
      await enqueueTick(b, 'nightly-recompute', new Date(tick.getTime() + 400)); // the same second, fired a little later
      await enqueueTick(a, 'retention', tick);
      const jobs = await system.queue(QUEUE_NAMES.maintenance).getJobs(['waiting']);
      expect(jobs.map((j) => j.id).sort()).toEqual(['nightly-recompute@2026-06-10T030000Z', 'retention@2026-06-10T030000Z']);
      expect(tickJobId('cache-warming', tick)).toBe('cache-warming@2026-06-10T030000Z');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('two running schedulers with the same schedule enqueue each tick once', async () => {
    const prefix = system.config.queuePrefix;
    const queues = [0, 1].map(() => new Queue(QUEUE_NAMES.maintenance, { connection: connection(), prefix }));
    const events = new QueueEvents(QUEUE_NAMES.maintenance, { connection: connection(), prefix });
    let duplicates = 0;
    events.on('duplicated', () => (duplicates += 1));
    await events.waitUntilReady();
    const everySecond = { nightlyRecompute: '* * * * * *', retention: '* * * * * *', cacheWarming: '* * * * * *' };
    const logger = createLogger({ level: 'silent' });
    const schedulers = queues.map((maintenanceQueue) => startScheduler({ config: { cron: everySecond }, maintenanceQueue, logger }));
    try {
      const maintenance = system.queue(QUEUE_NAMES.maintenance);
      const deadline = Date.now() + 15_000;
      while ((await maintenance.getWaitingCount()) < 6 || duplicates < 3) {
        if (Date.now() > deadline) throw new Error(`schedulers did not tick: ${await maintenance.getWaitingCount()} jobs, ${duplicates} duplicates`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await Promise.all(schedulers.map((s) => s.stop()));
      await events.close();
      await Promise.all(queues.map((q) => q.close()));
    }
    const jobs = await system.queue(QUEUE_NAMES.maintenance).getJobs(['waiting']);
    const perTick = new Map<string, number>();
    for (const job of jobs) {
      const { task, tick } = job.data as { task: MaintenanceTask; tick: string };
      expect(job.id).toBe(tickJobId(task, new Date(tick)));
      perTick.set(`${task} ${tick}`, (perTick.get(`${task} ${tick}`) ?? 0) + 1);
    }
    // Every tick the schedulers fired has exactly one job, taken from the scheduled second.
    expect([...perTick.values()].every((n) => n === 1)).toBe(true);
    expect([...perTick.keys()].every((key) => key.endsWith('.000Z'))).toBe(true);
  });
});

describe('maintenance tasks', () => {
  it('nightly recompute enqueues every user active in the last 90 days, and only those, page by page', async () => {
    await addUsers([
      ['recent', ago(DAY_MS)],
      ['edge-89d', ago(89 * DAY_MS)],
      ['gone-91d', ago(91 * DAY_MS)],
      ['gone-400d', ago(400 * DAY_MS)],
    ]);
    // Enough active users for three pages of the user selection.
    await system.infra.db.pool.query(
      `INSERT INTO analytics_users (user_id, last_activity_at) SELECT 'bulk-' || lpad(i::text, 4, '0'), $1 FROM generate_series(1, 1100) i`,
      [ago(HOUR_MS)],
    );
    const result = await run('nightly-recompute', deps());
    expect(result).toEqual({ usersEnqueued: 1102 });
    const users = await recomputeUsers();
    expect(users).toHaveLength(1102);
    expect(users.filter((u) => !u.startsWith('bulk-'))).toEqual(['edge-89d', 'recent']);
  });

  async function seedRetentionData(): Promise<void> {
    await addUsers([['keeper', ago(DAY_MS)]]);
    const pool = system.infra.db.pool;
    await pool.query(
      `INSERT INTO behavioral_events (event_id, user_id, type, occurred_at, properties, stress) VALUES
         ('old-event', 'keeper', 'self_report', $1, '{"stress": 2}', 2),
         ('new-event', 'keeper', 'self_report', $2, '{"stress": 4}', 4)`,
      [ago(500 * DAY_MS), ago(DAY_MS)],
    );
    await pool.query(
      `INSERT INTO study_sessions (session_id, user_id, started_at, ended_at, cards_reviewed, correct_count) VALUES
         ('old-session', 'keeper', $1, $2, 10, 5), ('new-session', 'keeper', $3, $4, 10, 7)`,
      [ago(500 * DAY_MS), ago(500 * DAY_MS - HOUR_MS), ago(DAY_MS), ago(DAY_MS - HOUR_MS)],
    );
    const today = utcDay(NOW);
    await pool.query(
      `INSERT INTO cognitive_load_snapshots (user_id, day, load_score, level, computed_at)
       SELECT 'keeper', d::date, 50, 'MODERATE', $2 FROM unnest($1::text[]) AS d`,
      [[addDays(today, -400), addDays(today, -399), addDays(today, -13), today], NOW],
    );
  }

  async function remaining(): Promise<{ events: string[]; sessions: string[]; snapshotDays: string[] }> {
    const pool = system.infra.db.pool;
    const events = await pool.query<{ event_id: string }>('SELECT event_id FROM behavioral_events ORDER BY 1');
    const sessions = await pool.query<{ session_id: string }>('SELECT session_id FROM study_sessions ORDER BY 1');
    const days = await pool.query<{ day: string }>(`SELECT to_char(day, 'YYYY-MM-DD') AS day FROM cognitive_load_snapshots ORDER BY 1`);
    return { events: events.rows.map((r) => r.event_id), sessions: sessions.rows.map((r) => r.session_id), snapshotDays: days.rows.map((r) => r.day) };
  }

  it('build-rollups builds the rollups of users stored before they existed, and of nobody else', async () => {
    const pool = system.infra.db.pool;
    // Stored by an earlier version: raw rows and analytics_users, no rollups.
    await addUsers([['stored-before', ago(DAY_MS)]]);
    await pool.query(
      `INSERT INTO behavioral_events (event_id, user_id, type, occurred_at, objective_id, correct, response_ms)
       SELECT 'sb-' || g, 'stored-before', 'card_reviewed', $1::timestamptz - g * interval '5 hours', 'o' || (g % 4), g % 3 <> 0, 900 FROM generate_series(1, 60) g`,
      [ago(HOUR_MS)],
    );
    const state = async () =>
      (
        await pool.query<{ ready: boolean; days: number }>(
          `SELECT rollups_ready AS ready, (SELECT count(*)::int FROM card_review_days WHERE user_id = 'stored-before') AS days FROM analytics_users WHERE user_id = 'stored-before'`,
        )
      ).rows[0];
    expect(await state()).toEqual({ ready: false, days: 0 });
    expect(await run('build-rollups', deps())).toEqual({ usersBuilt: 1 });
    const built = await state();
    expect(built!.ready).toBe(true);
    expect(built!.days).toBeGreaterThan(10);
    expect(await run('build-rollups', deps())).toEqual({ usersBuilt: 0 });
  });

  it('retention keeps raw rows by default and trims load snapshots older than RETENTION_SNAPSHOT_DAYS', async () => {
    await seedRetentionData();
    const result = await run('retention', deps());
    expect(result).toMatchObject({ snapshotsDeleted: 1, rawRowsDeleted: 0, usersRecomputed: 0 });
    const today = utcDay(NOW);
    expect(await remaining()).toEqual({
      events: ['new-event', 'old-event'],
      sessions: ['new-session', 'old-session'],
      snapshotDays: [addDays(today, -399), addDays(today, -13), today],
    });
    expect(await recomputeUsers()).toEqual([]);
  });

  it('retention deletes raw rows older than RETENTION_RAW_MAX_AGE_DAYS when set, and recomputes their users', async () => {
    await seedRetentionData();
    const result = await run('retention', deps({ retention: { rawMaxAgeDays: 30, snapshotDays: 14 } }));
    expect(result).toMatchObject({ snapshotsDeleted: 2, rawRowsDeleted: 2, usersRecomputed: 1 });
    const today = utcDay(NOW);
    expect(await remaining()).toEqual({ events: ['new-event'], sessions: ['new-session'], snapshotDays: [addDays(today, -13), today] });
    expect(await recomputeUsers()).toEqual(['keeper']);
  });

  it('retention trims finished jobs: completed after an hour, failed after a week', async () => {
    const prefix = system.config.queuePrefix;
    const probe = new Queue('retention-probe', { connection: connection(), prefix });
    const worker = new Worker(
      'retention-probe',
      async (job) => {
        if (job.name === 'bad') throw new UnrecoverableError('a bad payload');
      },
      { connection: connection(), prefix },
    );
    try {
      const done = new Promise<void>((resolve) => {
        let finished = 0;
        const count = () => ++finished === 3 && resolve();
        worker.on('completed', count);
        worker.on('failed', count);
      });
      await probe.addBulk([{ name: 'ok', data: {} }, { name: 'ok', data: {} }, { name: 'bad', data: {} }]);
      await done;
      const counts = () => probe.getJobCounts('completed', 'failed');
      const now = Date.now();

      expect(await run('retention', deps({ now: new Date(now), queues: [probe] }))).toMatchObject({ jobsCleaned: 0 });
      expect(await counts()).toEqual({ completed: 2, failed: 1 });

      expect(await run('retention', deps({ now: new Date(now + 2 * HOUR_MS), queues: [probe] }))).toMatchObject({ jobsCleaned: 2 });
      expect(await counts()).toEqual({ completed: 0, failed: 1 });

      expect(await run('retention', deps({ now: new Date(now + 8 * DAY_MS), queues: [probe] }))).toMatchObject({ jobsCleaned: 1 });
      expect(await counts()).toEqual({ completed: 0, failed: 0 });
    } finally {
      await worker.close();
      await probe.obliterate({ force: true });
      await probe.close();
    }
  });

  it('cache warming recomputes the users whose usual study hour is the coming one, from the last week only', async () => {
    // NOW is 07:00 UTC: warming is for users who usually start at 08:00.
    const at = (daysAgo: number, hour: number) => {
      const start = new Date(NOW.getTime() - daysAgo * DAY_MS);
      start.setUTCHours(hour, 15, 0, 0);
      return start;
    };
    const sessions: [string, string, Date][] = [
      ['eager', 'e1', at(1, 8)],
      ['eager', 'e2', at(2, 8)],
      ['eager', 'e3', at(3, 19)],
      ['casual', 'c1', at(4, 8)],
      ['evening', 'v1', at(1, 20)],
      ['evening', 'v2', at(2, 20)],
      ['evening', 'v3', at(3, 8)],
      ['lapsed', 'l1', at(10, 8)],
      ['lapsed', 'l2', at(1, 21)],
    ];
    await addUsers([['eager', ago(DAY_MS)], ['casual', ago(4 * DAY_MS)], ['evening', ago(DAY_MS)], ['lapsed', ago(DAY_MS)]]);
    await system.infra.db.pool.query(
      `INSERT INTO study_sessions (session_id, user_id, started_at, ended_at, cards_reviewed, correct_count)
       SELECT s, u, t, t + interval '30 minutes', 10, 8 FROM unnest($1::varchar[], $2::varchar[], $3::timestamptz[]) AS x(u, s, t)`,
      [sessions.map((s) => s[0]), sessions.map((s) => s[1]), sessions.map((s) => s[2])],
    );
    const result = await run('cache-warming', deps());
    expect(result).toEqual({ usersWarmed: 2, hour: 8 });
    expect(await recomputeUsers()).toEqual(['casual', 'eager']);
  });
});
