import { QUERY_TYPE_BY_AGGREGATE } from '../contracts/analytics-query';
import { computeUserAggregates, type ComputedAggregates } from '../aggregates/compute-user-aggregates';
import type { HybridCache } from '../cache/hybrid-cache';
import { cacheKey } from '../cache/keys';
import type { Database } from '../db/prisma-client';
import { loadUserHistory } from '../store/history-loader';
import { saveAggregates, type StoredAggregate } from '../store/aggregate-store';

export interface RecomputeDeps {
  db: Pick<Database, 'pool'>;
  cache?: HybridCache | null;
  cachePrefix: string;
  now?: () => Date;
}

export interface RecomputeOutcome {
  computed: ComputedAggregates;
  /** False when a newer computation of the same user was stored first. */
  stored: boolean;
  /** False when the write-through could not reach Redis (its L2 may still serve older data). */
  cached: boolean;
}

/**
 * Rebuilds one user's aggregates from raw rows: load → compute → save → write-through.
 * The same path serves the worker, `pnpm recompute` and the API's first read of a user.
 */
export async function recomputeUser(deps: RecomputeDeps, userId: string): Promise<RecomputeOutcome> {
  const now = deps.now?.() ?? new Date();
  const history = await loadUserHistory(deps.db.pool, userId, now);
  const computed = computeUserAggregates(history);
  const stored = await saveAggregates(deps.db.pool, userId, computed);
  let cached = true;
  if (stored && deps.cache) {
    cached = await deps.cache.writeThrough(
      userId,
      computed.entries.map((entry) => ({
        key: cacheKey(deps.cachePrefix, { userId, aggregate: entry.aggregate, period: entry.period }),
        value: { data: entry.data, computedAt: computed.computedAt } satisfies StoredAggregate,
        queryType: QUERY_TYPE_BY_AGGREGATE[entry.aggregate],
      })),
    );
  }
  return { computed, stored, cached };
}
