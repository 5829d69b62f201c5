import { isId } from '@shared/contracts/ids';
import type { AggregateWriteThrough } from '@shared/cache/write-through';
import type { Database } from '@shared/db/database';
import { CacheRepairer } from '@shared/recompute/cache-repairer';
import { recomputeUser } from '@shared/recompute/recompute-user';
import { countUsers, forEachUser, type UserSelection } from '@shared/store/user-pages';
import { rebuildUserRollups } from '@shared/store/rollups';
import { verifyUser, type UserVerification } from '@shared/recompute/verify-user';
import { userHasData } from '@shared/store/aggregate-store';
import { intFlag, parseFlags, UsageError } from './cli-flags';
import { count, decimal, perSecond, plural, seconds } from './format';
import { createProgress, type Progress } from './progress-reporter';
import { EXIT } from './run-cli';

export const RECOMPUTE_USAGE = `Usage: pnpm recompute -- (--user ID [--user ID ...] | --all) [--verify] [--concurrency N]
       pnpm recompute -- --build-rollups [--user ID ... | --all] [--concurrency N]

Rebuilds users' aggregates from the raw rows (behavioral_events, study_sessions): the
summary table, today's load snapshot, the Redis entries, and every API instance's L1
(through the same invalidation as the workers).

  --user ID         one user (repeat the flag for several)
  --all             every user the pipeline has seen, a page at a time
  --verify          change nothing: compare the stored aggregates with a fresh computation
                    from the raw rows and report drift per user and aggregate; exit code 1
                    when drift is found
  --build-rollups   build the rollups (per-day and per-week card review counts, …) from the
                    raw rows, once after upgrading a database whose rows were stored before
                    they existed: until then those users are computed from their raw rows,
                    correct but slow for long histories. Alone: every user without rollups
                    (an interrupted run goes on where it stopped). With --user or --all:
                    those users, rebuilt even if built (a repair). Aggregates do not change.
  --concurrency N   users processed at once (default 4, 1-64)
  -h, --help        this text

About --verify and time: aggregates are windows over "now" (last 24 h, 7, 30, 90 days),
so a computation made later differs from the stored one even when no data changed.
--verify therefore recomputes each user with "now" set to the stored computedAt, and only
differences in the data count. A user whose raw rows arrived after (or within 10 s before)
that computedAt is reported as STALE (a recompute is due; run without --verify to rebuild
now), not as drift.

Configuration comes from the environment (DATABASE_URL, REDIS_URL, CACHE_PREFIX, ...; see
docs/configuration.md). Progress goes to stderr, results to stdout.
Exit codes: 0 all well, 1 drift found, users failed or cache entries left stale, 2 bad flags or configuration,
3 Redis or PostgreSQL unreachable.`;

export interface RecomputeOptions {
  /** 'without-rollups': every user whose rollups are not built yet. */
  userIds: string[] | 'all' | 'without-rollups';
  verify: boolean;
  buildRollups: boolean;
  concurrency: number;
}

export function parseRecomputeFlags(args: string[]): RecomputeOptions {
  const flags = parseFlags(args, {
    user: { type: 'string', multiple: true },
    all: { type: 'boolean' },
    verify: { type: 'boolean' },
    'build-rollups': { type: 'boolean' },
    concurrency: { type: 'string' },
  });
  const users = flags.user ?? [];
  const buildRollups = flags['build-rollups'] ?? false;
  if (flags.all && users.length > 0) throw new UsageError('give either --user or --all, not both');
  if (buildRollups && flags.verify) throw new UsageError('--build-rollups changes the rollups; --verify changes nothing: give one of them');
  if (!flags.all && users.length === 0 && !buildRollups) throw new UsageError('say which users: --user ID or --all');
  const bad = users.find((u) => !isId(u));
  if (bad !== undefined) throw new UsageError(`--user "${bad}" is not a user id (1-64 characters of A-Z a-z 0-9 _ -)`);
  return {
    userIds: flags.all ? 'all' : users.length > 0 ? [...new Set(users)] : 'without-rollups',
    verify: flags.verify ?? false,
    buildRollups,
    concurrency: intFlag('concurrency', flags.concurrency, 4, { min: 1, max: 64 }),
  };
}

export interface RecomputeDeps {
  db: Pick<Database, 'pool'>;
  /** The write side of the cache; absent in --verify mode (it reads PostgreSQL only). */
  cache: AggregateWriteThrough | null;
  cachePrefix: string;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream & { isTTY?: boolean };
}

interface Tally {
  done: number;
  failures: { userId: string; message: string }[];
}

/** A user's work is retried twice (a dropped connection, a full server) before it counts as failed. */
async function withRetries<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
    }
  }
}

/**
 * Runs `work` over the selected users (`work` resolves false for a user with a problem);
 * with --all a page at a time, `concurrency` at once, behind a progress bar. A user that
 * throws is recorded as a failure and the others go on.
 */
async function overUsers(
  options: RecomputeOptions,
  deps: RecomputeDeps,
  progressLabels: { label: string; problemLabel: string },
  work: (userId: string) => Promise<boolean>,
): Promise<Tally> {
  const tally: Tally = { done: 0, failures: [] };
  let progress: Progress | null = null;
  const one = async (userId: string) => {
    let problem: boolean;
    try {
      problem = !(await withRetries(() => work(userId)));
    } catch (error) {
      problem = true;
      tally.failures.push({ userId, message: (error as Error).message });
    }
    tally.done += 1;
    progress?.tick(problem);
  };
  if (options.userIds === 'all' || options.userIds === 'without-rollups') {
    const selection: UserSelection = { withoutRollups: options.userIds === 'without-rollups' };
    progress = createProgress({ ...progressLabels, unit: 'users', total: await countUsers(deps.db.pool, selection), stream: deps.err });
    try {
      await forEachUser(deps.db.pool, selection, { concurrency: options.concurrency, work: one });
    } finally {
      progress.stop();
    }
  } else {
    for (const userId of options.userIds) await one(userId);
  }
  return tally;
}

function printFailures(deps: RecomputeDeps, tally: Tally): void {
  for (const failure of tally.failures.slice(0, 20)) deps.out.write(`FAILED ${failure.userId}: ${failure.message}\n`);
  if (tally.failures.length > 20) deps.out.write(`... and ${count(tally.failures.length - 20)} more failures\n`);
}

async function rebuild(options: RecomputeOptions, deps: RecomputeDeps): Promise<number> {
  const started = Date.now();
  let unknown = 0;
  let uncached = 0;
  const tally = await overUsers(options, deps, { label: 'recompute', problemLabel: 'failed' }, async (userId) => {
    // An explicit --user nobody has seen is a typo, not a user to store empty aggregates for.
    if (Array.isArray(options.userIds) && !(await userHasData(deps.db.pool, userId))) {
      unknown += 1;
      deps.out.write(`UNKNOWN ${userId}: no events or sessions of this user\n`);
      return false;
    }
    const { computed, stored, cached } = await recomputeUser({ db: deps.db, cache: deps.cache, cachePrefix: deps.cachePrefix }, userId);
    if (!cached) uncached += 1;
    if (Array.isArray(options.userIds)) {
      deps.out.write(`${userId}: ${computed.entries.length} aggregates ${stored ? 'rebuilt' : 'already newer (a concurrent recompute won)'} at ${computed.computedAt}\n`);
    }
    return true;
  });
  printFailures(deps, tally);
  const elapsed = Date.now() - started;
  const users = tally.done - unknown - tally.failures.length;
  deps.out.write(
    `recomputed ${plural(users, 'user')} in ${seconds(elapsed)} (${decimal(perSecond(tally.done, elapsed))} users/s), ${count(tally.failures.length)} failed${unknown ? `, ${count(unknown)} unknown` : ''}\n`,
  );
  const stillStale = await repairCache(deps, uncached);
  return tally.failures.length > 0 || unknown > 0 || stillStale > 0 ? EXIT.problem : EXIT.ok;
}

/**
 * Stored users whose write-through Redis failed are marked in cache_repairs (the workers
 * repair them when Redis answers); this run retries them once before it exits and says how
 * many remain. Returns that number.
 */
async function repairCache(deps: RecomputeDeps, uncached: number): Promise<number> {
  if (!deps.cache) return 0;
  const { repaired, failed } = await new CacheRepairer({ db: deps.db, cache: deps.cache }).repairAll();
  if (uncached === 0 && repaired === 0 && failed === 0) return 0;
  deps.out.write(
    `cache: ${plural(uncached, 'user')} whose write-through Redis failed; ${count(repaired)} invalidated now, ${count(failed)} still marked (a worker invalidates them when Redis answers)\n`,
  );
  return failed;
}

function shown(value: unknown): string {
  const text = value === undefined ? '(missing)' : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function printVerification(deps: RecomputeDeps, result: UserVerification): void {
  if (result.status === 'ok') return;
  const when = result.computedAt ? `computed ${result.computedAt}` : 'never computed';
  if (result.status === 'stale') {
    deps.out.write(`STALE ${result.userId} (${when}): ${plural(result.lateRows, 'raw row')} arrived since; a recompute is due\n`);
    return;
  }
  deps.out.write(`DRIFT ${result.userId} (${when}): ${plural(result.drifts.length, 'aggregate')} differ${result.drifts.length === 1 ? 's' : ''}\n`);
  for (const drift of result.drifts) {
    for (const d of drift.differences) {
      deps.out.write(`  ${result.userId} ${drift.aggregate} ${drift.period} ${d.path}: stored ${shown(d.stored)}, recomputed ${shown(d.fresh)}\n`);
    }
  }
}

async function verify(options: RecomputeOptions, deps: RecomputeDeps): Promise<number> {
  const started = Date.now();
  const statuses = { ok: 0, drift: 0, stale: 0, unknown: 0 };
  const tally = await overUsers(options, deps, { label: 'verify', problemLabel: 'with drift or failed' }, async (userId) => {
    if (Array.isArray(options.userIds) && !(await userHasData(deps.db.pool, userId))) {
      statuses.unknown += 1;
      deps.out.write(`UNKNOWN ${userId}: no events or sessions of this user\n`);
      return false;
    }
    const result = await verifyUser(deps.db.pool, userId);
    statuses[result.status] += 1;
    printVerification(deps, result);
    return result.status !== 'drift';
  });
  printFailures(deps, tally);
  const elapsed = Date.now() - started;
  deps.out.write(
    `verified ${plural(tally.done - tally.failures.length - statuses.unknown, 'user')} in ${seconds(elapsed)}: ${count(statuses.ok)} ok, ${count(statuses.drift)} with drift, ${count(statuses.stale)} stale${statuses.unknown ? `, ${count(statuses.unknown)} unknown` : ''}, ${count(tally.failures.length)} failed\n`,
  );
  return statuses.drift > 0 || statuses.unknown > 0 || tally.failures.length > 0 ? EXIT.problem : EXIT.ok;
}

/**
 * Builds users' rollups from their raw rows (store/rollups.ts), each user in one
 * transaction that holds the user's row lock: ingest goes on meanwhile, and a user is
 * either built or untouched, so an interrupted run is taken up again by the next one.
 */
async function buildRollups(options: RecomputeOptions, deps: RecomputeDeps): Promise<number> {
  const started = Date.now();
  let unknown = 0;
  const tally = await overUsers(options, deps, { label: 'build rollups', problemLabel: 'failed' }, async (userId) => {
    if (await rebuildUserRollups(deps.db.pool, userId)) return true;
    unknown += 1;
    deps.out.write(`UNKNOWN ${userId}: no events or sessions of this user\n`);
    return false;
  });
  printFailures(deps, tally);
  const elapsed = Date.now() - started;
  const built = tally.done - unknown - tally.failures.length;
  deps.out.write(
    `built the rollups of ${plural(built, 'user')} in ${seconds(elapsed)} (${decimal(perSecond(tally.done, elapsed))} users/s), ${count(tally.failures.length)} failed${unknown ? `, ${count(unknown)} unknown` : ''}\n`,
  );
  return tally.failures.length > 0 || unknown > 0 ? EXIT.problem : EXIT.ok;
}

export function runRecompute(options: RecomputeOptions, deps: RecomputeDeps): Promise<number> {
  if (options.buildRollups) return buildRollups(options, deps);
  return options.verify ? verify(options, deps) : rebuild(options, deps);
}
