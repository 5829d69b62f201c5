import { computeUserAggregates } from '@shared/aggregates/compute-user-aggregates';
import { emptyHistory } from '@shared/aggregates/user-history';
import { Uncached, type CacheTier, type ReadCache } from '@shared/cache/read-cache';
import { cacheKey, userOfKey } from '@shared/contracts/cache-keys';
import type { QueryType } from '@shared/cache/ttl';
import { periodKeyFor, QUERY_TYPE_BY_AGGREGATE, type AggregateName, type AnalyticsQuery } from '@shared/contracts/analytics-query';
import { isDatabaseUnavailable } from '@shared/db/database-errors';
import type { Database } from '@shared/db/database';
import { DependencyUnavailableError } from '@shared/errors/errors';
import type { PipelineMetrics } from '@shared/metrics/pipeline-metrics';
import { isAged, type AgedRefresher } from '@shared/recompute/aged-refresh';
import { recomputeUser } from '@shared/recompute/recompute-user';
import { readAggregate, userHasData, type StoredAggregate } from '@shared/store/aggregate-store';
import { AggregateResponse, type ServedTier } from './aggregate-response';

export type { ServedTier } from './aggregate-response';

export interface AnalyticsResult {
  /** The aggregate as the route answers it, serialized once per cache entry. */
  response: AggregateResponse;
  tier: ServedTier;
  /** The computation is older than its query type's TTL: one recompute of the user was asked for. */
  refreshing: boolean;
}

/**
 * The read model of the analytics routes: L1 → L2 → summary table; for a user with data
 * but no stored aggregate yet, one computation (single-flight through the cache) that is
 * stored for everyone; for an unknown user, the empty shape (zeros and nulls), computed
 * and never cached, so made-up ids cost no memory anywhere.
 *
 * The cache keeps each entry's answer ready to send (AggregateResponse, made once per L1
 * entry), so an L1 hit serializes nothing.
 *
 * Every answer's computation is compared with its query type's TTL (SPEC 6): an aged one
 * is still served at once, and brings one recompute of its user (AgedRefresher).
 */
export class AnalyticsReadService {
  private readonly ageHistograms: Map<QueryType, { observe(seconds: number): void }>;
  /** The cache's options per query type, made once. */
  private readonly readOptions: Map<QueryType, { queryType: QueryType; prepare: AnalyticsReadService['prepare'] }>;
  /** One function for the cache's lifetime: the cache keeps what it made per entry. A load is most often a summary-table read. */
  private readonly prepare = (json: string, key: string, tier: CacheTier) => AggregateResponse.fromStoredJson(json, userOfKey(key)!, tier === 'loader' ? 'db' : tier);

  constructor(
    private readonly deps: {
      db: Pick<Database, 'pool'>;
      cache: ReadCache;
      cachePrefix: string;
      timed: <T>(work: () => Promise<T>) => Promise<T>;
      /** TTL of a query type, overrides applied. */
      ttlMs: (queryType: QueryType) => number;
      refresher: AgedRefresher;
      metrics: Pick<PipelineMetrics, 'servedAgeSeconds'>;
    },
  ) {
    // One child per query type, made once: no label object per read.
    this.ageHistograms = new Map(Object.values(QUERY_TYPE_BY_AGGREGATE).map((qt) => [qt, deps.metrics.servedAgeSeconds.labels(qt)]));
    this.readOptions = new Map(Object.values(QUERY_TYPE_BY_AGGREGATE).map((queryType) => [queryType, { queryType, prepare: this.prepare }]));
  }

  async read(name: AggregateName, query: AnalyticsQuery): Promise<AnalyticsResult> {
    const period = periodKeyFor(name, query.period);
    const queryType = QUERY_TYPE_BY_AGGREGATE[name];
    const key = cacheKey(this.deps.cachePrefix, { userId: query.userId, aggregate: name, period });
    const options = this.readOptions.get(queryType)!;
    // The common read, an L1 hit: no loader, no promise of the cache's.
    const hit = this.deps.cache.peekPrepared(key, options);
    if (hit) return { response: hit, tier: 'l1', refreshing: this.refreshIfAged(query.userId, queryType, hit.computedAtMs) };
    let source: ServedTier = 'db';
    const result = await this.deps.cache
      .getOrSetPrepared<StoredAggregate, AggregateResponse>(
        key,
        async () => {
          const stored = await this.deps.timed(() => readAggregate(this.deps.db.pool, query.userId, name, period));
          if (stored) return stored;
          source = 'compute';
          return this.computeOnce(name, period, query.userId);
        },
        options,
      )
      .catch((error: unknown) => {
        if (isDatabaseUnavailable(error)) throw new DependencyUnavailableError('postgres', 'the analytics store is unavailable and this aggregate is not cached; retry later', 5);
        throw error;
      });
    const response = result.value;
    return { response, tier: result.tier === 'loader' ? source : result.tier, refreshing: this.refreshIfAged(query.userId, queryType, response.computedAtMs) };
  }

  private refreshIfAged(userId: string, queryType: QueryType, computedAtMs: number): boolean {
    const now = Date.now();
    this.ageHistograms.get(queryType)?.observe(Math.max(0, now - computedAtMs) / 1_000);
    const ttlMs = this.deps.ttlMs(queryType);
    if (!isAged(computedAtMs, ttlMs, now)) return false;
    this.deps.refresher.request(userId, ttlMs);
    return true;
  }

  private async computeOnce(name: AggregateName, period: string, userId: string): Promise<StoredAggregate | Uncached<StoredAggregate>> {
    const known = await this.deps.timed(() => userHasData(this.deps.db.pool, userId));
    if (!known) {
      const empty = computeUserAggregates(emptyHistory(userId, new Date()));
      return new Uncached(this.entryOf(empty, name, period));
    }
    // Stored in PostgreSQL only: this read's own fill puts the entry in L1 and L2, and the
    // user's other aggregates are read from the summary table when asked for. Writing
    // through from inside the cache's own load would invalidate the very fill it runs in.
    return this.entryOf((await recomputeUser({ db: this.deps.db, cache: null, cachePrefix: this.deps.cachePrefix }, userId)).computed, name, period);
  }

  private entryOf(computed: { computedAt: string; entries: { aggregate: string; period: string; data: unknown }[] }, name: AggregateName, period: string): StoredAggregate {
    const entry = computed.entries.find((e) => e.aggregate === name && e.period === period)!;
    return { data: entry.data, computedAt: computed.computedAt };
  }
}
