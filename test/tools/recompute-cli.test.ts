import { isDeepStrictEqual } from 'node:util';
import { STORED_AGGREGATE_KEYS } from '@shared/aggregates/registry';
import { aggregatesOfHistory } from '@shared/aggregates/compute-user-aggregates';
import { cacheKey } from '@shared/contracts/cache-keys';
import { l2Value } from '../support/cache-helpers';
import { loadUserHistory } from '@shared/store/history-loader';
import { readAggregate, type StoredAggregate } from '@shared/store/aggregate-store';
import { insertEvents } from '@shared/store/event-store';
import { userPages } from '@shared/store/user-pages';
import { seededRandom, userActivity } from '../../scripts/simulation/study-app';
import { startTestSystem, type TestSystem } from '../support/system';
import { runTool, toolEnv } from '../support/run-tool';

/**
 * `pnpm recompute` as a user runs it, against a pipeline whose workers computed the
 * aggregates three days ago (a pinned clock): verification must compare at the stored
 * computedAt, or every window edge that moved since would count as drift.
 */
const PAST = new Date(Date.now() - 3 * 86_400_000);
const USERS = ['ana', 'ben', 'cleo'];
let system: TestSystem;
let env: Record<string, string>;

const recompute = (...args: string[]) => runTool('recompute.ts', args, env);

beforeAll(async () => {
  system = await startTestSystem({ now: () => PAST });
  env = toolEnv(system);
  const random = seededRandom(7);
  for (const userId of USERS) {
    const activity = userActivity(random, userId, PAST, 40);
    await system.publisher.publishEvents(activity.events);
    await system.publisher.publishSessionCompleted(activity.sessions);
  }
  await system.drained();
  // The pipeline "ran" at PAST: its rows were received then too (verify tells a stale user
  // from drift by rows received after the stored computation).
  for (const table of ['behavioral_events', 'study_sessions']) {
    await system.infra.db.pool.query(`UPDATE ${table} SET received_at = $1`, [new Date(PAST.getTime() - 60_000)]);
  }
}, 60_000);

afterAll(() => system?.stop());

async function storedRows(userId: string): Promise<number> {
  const { rows } = await system.infra.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM aggregate_snapshots WHERE user_id = $1', [userId]);
  return rows[0]!.n;
}

/** The value `read` gives once it equals `expected` (the bus message is asynchronous), or its last value after 5 s. */
async function eventually<T>(read: () => Promise<T>, expected: unknown): Promise<T> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const value = await read();
    if (isDeepStrictEqual(value, expected) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('pnpm recompute', () => {
  it('--all --verify finds no drift right after the pipeline, although the windows have moved since', async () => {
    // The premise: a computation at the current time differs from the stored one.
    const pool = system.infra.db.pool;
    const atNow = aggregatesOfHistory(await loadUserHistory(pool, 'ana', new Date()));
    const dashboard = atNow.entries.find((e) => e.aggregate === 'behavioral-insights/dashboard')!;
    const stored = await readAggregate(pool, 'ana', 'behavioral-insights/dashboard', dashboard.period);
    expect(stored!.computedAt).toBe(PAST.toISOString());
    expect(isDeepStrictEqual(stored!.data, JSON.parse(JSON.stringify(dashboard.data)))).toBe(false);

    const result = await recompute('--all', '--verify');
    expect(result.stdout).toContain('verified 3 users');
    expect(result.stdout).toContain('3 ok, 0 with drift, 0 stale');
    expect(result.code).toBe(0);
  });

  it('reports a user with raw rows newer than the stored computation as stale, not drift', async () => {
    // Stored as a worker stores it (rollups included), after the computation.
    await insertEvents(system.infra.db.pool, [
      { eventId: 'late-1', userId: 'cleo', type: 'self_report', occurredAt: new Date(PAST.getTime() - 3_600_000).toISOString(), properties: { stress: 5 } },
    ]);
    const result = await recompute('--user', 'cleo', '--verify');
    expect(result.stdout).toMatch(/STALE cleo \(computed [^)]+\): 1 raw row arrived since/);
    expect(result.stdout).toContain('0 with drift, 1 stale');
    expect(result.code).toBe(0);
  });

  it('--verify exits 1 and names the user, aggregate, period and value of a tampered aggregate', async () => {
    await system.infra.db.pool.query(
      `UPDATE aggregate_snapshots SET data = jsonb_set(data, '{completed}', '999')
       WHERE user_id = 'ben' AND aggregate = 'missions/summary' AND period = '30d'`,
    );
    const result = await recompute('--all', '--verify');
    expect(result.stdout).toMatch(/DRIFT ben \(computed [^)]+\): 1 aggregate differs/);
    expect(result.stdout).toMatch(/ben missions\/summary 30d completed: stored 999, recomputed \d+/);
    expect(result.stdout).toContain('1 ok, 1 with drift, 1 stale');
    expect(result.stdout).not.toContain('DRIFT ana');
    expect(result.code).toBe(1);
  });

  it('--verify reports rollups that no longer match their raw rows, and --build-rollups --user repairs them', async () => {
    const pool = system.infra.db.pool;
    // Every day and week of hers: a window reads days at its edges and weeks inside.
    for (const table of ['card_review_days', 'card_review_weeks']) await pool.query(`UPDATE ${table} SET correct = correct + 1 WHERE user_id = 'ana'`);
    const drift = await recompute('--user', 'ana', '--verify');
    expect(drift.stdout).toMatch(/DRIFT ana \(computed [^)]+\): 1 aggregate differs/);
    expect(drift.stdout).toMatch(/ana rollups - objectives\[\d+\]\.(last90d|last30d|lastTen)\.correct: stored \d+, recomputed \d+/);
    expect(drift.code).toBe(1);

    const repaired = await recompute('--build-rollups', '--user', 'ana');
    expect(repaired.stdout).toContain('built the rollups of 1 user');
    expect(repaired.code).toBe(0);
    const verified = await recompute('--user', 'ana', '--verify');
    expect(verified.stdout).toContain('1 ok, 0 with drift');
    expect(verified.code).toBe(0);
  });

  it('--build-rollups alone builds only the users without rollups, and says so', async () => {
    const pool = system.infra.db.pool;
    await pool.query(`UPDATE analytics_users SET rollups_ready = false WHERE user_id = 'cleo'`);
    await pool.query(`DELETE FROM card_review_days WHERE user_id = 'cleo'`);
    const built = await recompute('--build-rollups');
    expect(built.stdout).toContain('built the rollups of 1 user');
    expect(built.stderr).toContain('build rollups: 1/1 users (100%)');
    expect(built.code).toBe(0);
    const { rows } = await pool.query<{ ready: boolean; days: number }>(
      `SELECT bool_and(rollups_ready) AS ready, (SELECT count(*)::int FROM card_review_days WHERE user_id = 'cleo') AS days FROM analytics_users`,
    );
    expect(rows[0]).toEqual({ ready: true, days: expect.any(Number) });
    expect(rows[0]!.days).toBeGreaterThan(0);
    const again = await recompute('--build-rollups');
    expect(again.stdout).toContain('built the rollups of 0 users');
  });

  it('--user rebuilds one user from the raw rows, after which --verify is clean', async () => {
    const rebuilt = await recompute('--user', 'ben');
    expect(rebuilt.stdout).toMatch(/^ben: \d+ aggregates rebuilt at /m);
    expect(rebuilt.stdout).toContain('recomputed 1 user ');
    expect(rebuilt.code).toBe(0);
    const stored = await readAggregate(system.infra.db.pool, 'ben', 'missions/summary', '30d');
    expect((stored!.data as { completed: number }).completed).not.toBe(999);
    expect(Date.parse(stored!.computedAt)).toBeGreaterThan(PAST.getTime());

    const verified = await recompute('--user', 'ben', '--verify');
    expect(verified.stdout).toContain('1 ok, 0 with drift');
    expect(verified.code).toBe(0);
  });

  it('--all rebuilds every user (summary table and cache) with progress lines on a non-terminal stderr', async () => {
    await system.infra.db.pool.query('DELETE FROM aggregate_snapshots');
    const result = await recompute('--all', '--concurrency', '2');
    expect(result.stdout).toContain('recomputed 3 users');
    expect(result.stderr).toContain('recompute: 3/3 users (100%)');
    expect(result.code).toBe(0);
    for (const userId of USERS) expect(await storedRows(userId)).toBe(STORED_AGGREGATE_KEYS.length);

    // Written through to Redis, where every API reads it.
    const key = cacheKey(system.config.cachePrefix, { userId: 'cleo', aggregate: 'stress-profile', period: '-' });
    const stored = await readAggregate(system.infra.db.pool, 'cleo', 'stress-profile', '-');
    expect(stored!.computedAt).not.toBe(PAST.toISOString());
    expect(await eventually(async () => l2Value<StoredAggregate>(system.infra.redis, key), stored)).toEqual(stored);

    const verified = await recompute('--all', '--verify');
    expect(verified.stdout).toContain('3 ok, 0 with drift, 0 stale');
    expect(verified.code).toBe(0);
  });

  it('pages through users by id without loading them all', async () => {
    const pages: string[][] = [];
    for await (const page of userPages(system.infra.db.pool, { pageSize: 2 })) pages.push(page);
    expect(pages).toEqual([['ana', 'ben'], ['cleo']]);
  });

  it('refuses bad flags with exit code 2, the reason and the usage', async () => {
    const both = await recompute('--user', 'ana', '--all');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('recompute: give either --user or --all, not both');
    expect(both.stderr).toContain('Usage: pnpm recompute');

    const unknown = await recompute('--everyone');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("recompute: Unknown option '--everyone'");
    expect(unknown.stdout).toBe('');
  });
});
