import { computeUserAggregates } from '@shared/aggregates/compute-user-aggregates';
import { emptyHistory } from '@shared/aggregates/user-history';
import type { HybridCache } from '@shared/cache/hybrid-cache';
import { cacheKey } from '@shared/cache/keys';
import { periodKeyFor, QUERY_TYPE_BY_AGGREGATE, type AggregateName, type AnalyticsQuery } from '@shared/contracts/analytics-query';
import { isDatabaseUnavailable } from '@shared/db/database-errors';
import type { Database } from '@shared/db/prisma-client';
import { DependencyUnavailableError } from '@shared/errors/errors';
import { recomputeUser } from '@shared/recompute/recompute-user';
import { readAggregate, userHasData, type StoredAggregate } from '@shared/store/aggregate-store';

export type ServedTier = 'l1' | 'l2' | 'db' | 'compute';

export interface AnalyticsResult {
  data: unknown;
  computedAt: string;
  tier: ServedTier;
}

/**
 * The read model of the analytics routes: L1 → L2 → summary table; for a user with data
 * but no stored aggregate yet, one computation (single-flight through the cache) that is
 * stored for everyone; for an unknown user, the empty shape (zeros and nulls).
 */
export class AnalyticsReadService {
  constructor(
    private readonly deps: {
      db: Pick<Database, 'pool'>;
      cache: HybridCache;
      cachePrefix: string;
      timed: <T>(work: () => Promise<T>) => Promise<T>;
    },
  ) {}

  async read(name: AggregateName, query: AnalyticsQuery): Promise<AnalyticsResult> {
    const period = periodKeyFor(name, query.period);
    const key = cacheKey(this.deps.cachePrefix, { userId: query.userId, aggregate: name, period });
    let source: ServedTier = 'db';
    const result = await this.deps.cache
      .getOrSet<StoredAggregate>(
        key,
        async () => {
          const stored = await this.deps.timed(() => readAggregate(this.deps.db.pool, query.userId, name, period));
          if (stored) return stored;
          source = 'compute';
          return this.computeOnce(name, period, query.userId);
        },
        { queryType: QUERY_TYPE_BY_AGGREGATE[name] },
      )
      .catch((error: unknown) => {
        if (isDatabaseUnavailable(error)) throw new DependencyUnavailableError('postgres', 'the analytics store is unavailable and this aggregate is not cached; retry later', 5);
        throw error;
      });
    return { data: result.value.data, computedAt: result.value.computedAt, tier: result.tier === 'loader' ? source : result.tier };
  }

  private async computeOnce(name: AggregateName, period: string, userId: string): Promise<StoredAggregate> {
    const known = await this.deps.timed(() => userHasData(this.deps.db.pool, userId));
    const computed = known
      ? (await recomputeUser({ db: this.deps.db, cache: this.deps.cache, cachePrefix: this.deps.cachePrefix }, userId)).computed
      : computeUserAggregates(emptyHistory(userId, new Date()));
    const entry = computed.entries.find((e) => e.aggregate === name && e.period === period)!;
    return { data: entry.data, computedAt: computed.computedAt };
  }
}
