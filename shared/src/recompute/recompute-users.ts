import { AGGREGATES, type AggregateName } from '../aggregates/registry';
import { computeUserAggregates, type ComputedAggregates } from '../aggregates/compute-user-aggregates';
import { cacheKey } from '../contracts/cache-keys';
import type { AggregateWriteThrough, UserEntries } from '../cache/write-through';
import { isDatabaseUnavailable } from '../db/database-errors';
import type { Database } from '../db/database';
import { digestSize } from '../aggregates/user-digest';
import { loadDigests } from '../store/digest-loader';
import { saveComputations, type SerializedComputation } from '../store/aggregate-store';
import { markCacheRepairs } from '../store/cache-repairs';

/** The steps of a recompute batch, in order. */
export const RECOMPUTE_STEPS = ['load', 'compute', 'save', 'write_through'] as const;
export type RecomputeStep = (typeof RECOMPUTE_STEPS)[number];

export interface RecomputeDeps {
  db: Pick<Database, 'pool'>;
  /** The write side of the cache; none: PostgreSQL only. */
  cache?: AggregateWriteThrough | null;
  cachePrefix: string;
  now?: () => Date;
  /** Starts timing a step of the batch; the function it returns stops it (prom-client's startTimer has this shape). */
  timeStep?: (step: RecomputeStep) => () => void;
}

/** Runs one step of a batch under `deps.timeStep`. */
async function timed<T>(deps: RecomputeDeps, step: RecomputeStep, work: () => T | Promise<T>): Promise<T> {
  const stop = deps.timeStep?.(step);
  try {
    return await work();
  } finally {
    stop?.();
  }
}

export interface RecomputeOutcome {
  computed: ComputedAggregates;
  /** False when a newer computation of the same user was stored first. */
  stored: boolean;
  /**
   * False when the write-through could not reach Redis: its older L2 entries may still be
   * served, so the user is marked in cache_repairs until a worker invalidates them.
   */
  cached: boolean;
  /** When the earliest of the user's rows stamped after this computation's "now" becomes visible: recompute then. */
  nextVisibleAt: Date | null;
  /** Rows the computation read: what the next batch holding this user is bounded by. */
  rows: number;
}

/**
 * A user's recompute that failed, alone or with its whole batch. A wrapper rather than the
 * error itself: errors raised by Node's own modules are not `instanceof Error` in every
 * realm (Jest's sandbox), so a result is told apart by this class instead.
 */
export class RecomputeFailure {
  constructor(readonly error: Error) {}
}

/** Per user: its outcome or its failure. */
export type RecomputeResults = Map<string, RecomputeOutcome | RecomputeFailure>;

function serialize(computed: ComputedAggregates, userId: string, watermark: number): SerializedComputation {
  return {
    userId,
    computedAt: computed.computedAt,
    watermark,
    entries: computed.entries.map((e) => ({ aggregate: e.aggregate, period: e.period, json: JSON.stringify(e.data) })),
    loadSnapshot: computed.loadSnapshot,
  };
}

/** The cache entries of a computation: a StoredAggregate as JSON, built from the text already serialized for the save. */
function cacheEntries(serialized: SerializedComputation, cachePrefix: string): UserEntries {
  return {
    userId: serialized.userId,
    entries: serialized.entries.map((e) => ({
      key: cacheKey(cachePrefix, { userId: serialized.userId, aggregate: e.aggregate, period: e.period }),
      json: `{"data":${e.json},"computedAt":"${serialized.computedAt}"}`,
      ttlClass: AGGREGATES[e.aggregate as AggregateName].ttlClass,
    })),
  };
}

/**
 * Runs `step` for the whole batch; if it fails for a reason other than PostgreSQL being
 * unreachable, runs it again for each user alone, so one user whose rows break a
 * statement (or make it time out) does not fail the others.
 */
async function batchThenAlone<T>(userIds: string[], step: (ids: string[]) => Promise<Map<string, T | RecomputeFailure>>): Promise<Map<string, T | RecomputeFailure>> {
  try {
    return await step(userIds);
  } catch (error) {
    if (userIds.length === 1 || isDatabaseUnavailable(error)) return new Map(userIds.map((id) => [id, new RecomputeFailure(error as Error)]));
    const results = new Map<string, T | RecomputeFailure>();
    for (const id of userIds) {
      try {
        for (const [key, value] of await step([id])) results.set(key, value);
      } catch (alone) {
        results.set(id, new RecomputeFailure(alone as Error));
      }
    }
    return results;
  }
}

/**
 * Rebuilds a batch of users' aggregates with the pure formulas: one statement loads every
 * digest (one snapshot; rollups summed in the database, store/digest-loader.ts), each user is computed and serialized
 * once, one statement saves them all (the newest computation of each user wins), and one
 * write-through replaces their cache entries. Every user gets exactly what a batch of one
 * gives it; a user that fails fails alone.
 */
export async function recomputeUsers(deps: RecomputeDeps, userIds: readonly string[]): Promise<RecomputeResults> {
  const now = deps.now?.() ?? new Date();
  const unique = [...new Set(userIds)];
  const computed = await batchThenAlone(unique, async (ids) => {
    const digests = await timed(deps, 'load', () => loadDigests(deps.db.pool, ids, now));
    const stopCompute = deps.timeStep?.('compute');
    const results = new Map<string, { computed: ComputedAggregates; serialized: SerializedComputation; rows: number; nextVisibleAt: Date | null } | RecomputeFailure>();
    for (const id of ids) {
      const { digest, watermark, nextVisibleAt } = digests.get(id)!;
      try {
        const aggregates = computeUserAggregates(digest);
        results.set(id, { computed: aggregates, serialized: serialize(aggregates, id, watermark), rows: digestSize(digest), nextVisibleAt });
      } catch (error) {
        results.set(id, new RecomputeFailure(error as Error));
      }
    }
    stopCompute?.();
    return results;
  });

  const ready = [...computed].flatMap(([id, c]) => (c instanceof RecomputeFailure ? [] : [{ id, ...c }]));
  const saved = await batchThenAlone(
    ready.map((r) => r.id),
    async (ids) => {
      const wanted = new Set(ids);
      const stored = await timed(deps, 'save', () => saveComputations(deps.db.pool, ready.filter((r) => wanted.has(r.id)).map((r) => r.serialized)));
      return new Map(ids.map((id) => [id, stored.has(id)]));
    },
  );

  const toCache = ready.filter((r) => saved.get(r.id) === true);
  const cache = deps.cache;
  const cached = cache && toCache.length > 0 ? await timed(deps, 'write_through', () => cache.writeThroughUsers(toCache.map((r) => cacheEntries(r.serialized, deps.cachePrefix)))) : null;
  if (cached) {
    const stale = toCache.filter((r) => !cached.has(r.id)).map((r) => r.id);
    // Durable before the job reports anything: if this process dies now, the mark remains.
    if (stale.length > 0) await markCacheRepairs(deps.db.pool, stale);
  }

  const results: RecomputeResults = new Map();
  for (const id of unique) {
    const c = computed.get(id)!;
    if (c instanceof RecomputeFailure) {
      results.set(id, c);
      continue;
    }
    const stored = saved.get(id)!;
    if (stored instanceof RecomputeFailure) {
      results.set(id, stored);
      continue;
    }
    results.set(id, { computed: c.computed, stored, cached: !stored || cached === null || cached.has(id), rows: c.rows, nextVisibleAt: c.nextVisibleAt });
  }
  return results;
}
