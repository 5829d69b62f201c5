import { computeUserAggregates } from '@shared/aggregates/compute-user-aggregates';
import { emptyDigest } from '@shared/aggregates/user-digest';
import type { CacheTier, ReadCache } from '@shared/cache/read-cache';
import { cacheKey, userOfKey } from '@shared/contracts/cache-keys';
import { TTL_CLASSES, type TtlClass } from '@shared/cache/ttl';
import { AGGREGATES, periodKeyFor, type AggregateName } from '@shared/aggregates/registry';
import type { AnalyticsQuery } from '@shared/contracts/analytics-query';
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
 * but no stored aggregate yet, one computation of the user (shared by every read of that
 * user meanwhile, whatever the route), stored in the summary table for the reads after it;
 * for an unknown user, the empty shape (zeros and nulls), computed and never cached, so
 * made-up ids cost no memory anywhere.
 *
 * The cache keeps each entry's answer ready to send (AggregateResponse, made once per L1
 * entry), so an L1 hit serializes nothing.
 *
 * Every answer's computation is compared with its query type's TTL (SPEC 6): an aged one
 * is still served at once, and brings one recompute of its user (AgedRefresher).
 */
export class AnalyticsReadService {
  private readonly ageHistograms: Map<TtlClass, { observe(seconds: number): void }>;
  /** The cache's options per query type, made once. */
  private readonly readOptions: Map<TtlClass, { ttlClass: TtlClass; prepare: AnalyticsReadService['prepare'] }>;
  /** One function for the cache's lifetime: the cache keeps what it made per entry. What the cache loads is a summary-table row. */
  private readonly prepare = (json: string, key: string, tier: CacheTier) => AggregateResponse.fromStoredJson(json, userOfKey(key)!, tier === 'loader' ? 'db' : tier);
  /** Computations of users without stored aggregates, one per user at a time. */
  private readonly computing = new Map<string, Promise<{ computed: ComputedAggregates; stored: boolean }>>();

  constructor(
    private readonly deps: {
      db: Pick<Database, 'pool'>;
      cache: ReadCache;
      cachePrefix: string;
      timed: <T>(work: () => Promise<T>) => Promise<T>;
      /** Every TTL class's TTL, overrides applied (Config.cache.ttlMs). */
      ttlMs: Record<TtlClass, number>;
      refresher: AgedRefresher;
      metrics: Pick<PipelineMetrics, 'servedAgeSeconds'>;
    },
  ) {
    // One child per query type, made once: no label object per read.
    this.ageHistograms = new Map(TTL_CLASSES.map((ttlClass) => [ttlClass, deps.metrics.servedAgeSeconds.labels(ttlClass)]));
    this.readOptions = new Map(TTL_CLASSES.map((ttlClass) => [ttlClass, { ttlClass, prepare: this.prepare }]));
  }

  async read(name: AggregateName, query: AnalyticsQuery): Promise<AnalyticsResult> {
    const period = periodKeyFor(name, query.period);
    const ttlClass = AGGREGATES[name].ttlClass;
    const key = cacheKey(this.deps.cachePrefix, { userId: query.userId, aggregate: name, period });
    const options = this.readOptions.get(ttlClass)!;
    // The common read, an L1 hit: no loader, no promise of the cache's.
    const hit = this.deps.cache.peekPrepared(key, options);
    if (hit) return this.answer(hit, 'l1', query.userId, ttlClass);
    try {
      // The loader finds the summary table's row or nothing (undefined: nothing is cached).
      const cached = await this.deps.cache.getOrSetPrepared(key, async () => (await this.deps.timed(() => readAggregate(this.deps.db.pool, query.userId, name, period))) ?? undefined, options);
      if (cached) return this.answer(cached.value, cached.tier === 'loader' ? 'db' : cached.tier, query.userId, ttlClass);
      const { computed, stored } = await this.computeUser(query.userId);
      const entry = this.entryOf(computed, name, period);
      if (!stored) return this.answer(AggregateResponse.fromStoredJson(JSON.stringify(entry), query.userId, 'compute'), 'compute', query.userId, ttlClass);
      // Stored for everyone: cached as the summary-table read after it would have cached it.
      const filled = await this.deps.cache.getOrSetPrepared(key, async () => entry, options);
      return this.answer(filled!.value, 'compute', query.userId, ttlClass);
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw new DependencyUnavailableError('postgres', 'the analytics store is unavailable and this aggregate is not cached; retry later', 5);
      throw error;
    }
  }

  private answer(response: AggregateResponse, tier: ServedTier, userId: string, ttlClass: TtlClass): AnalyticsResult {
    return { response, tier, refreshing: this.refreshIfAged(userId, ttlClass, response.computedAtMs) };
  }

  private refreshIfAged(userId: string, ttlClass: TtlClass, computedAtMs: number): boolean {
    const now = Date.now();
    this.ageHistograms.get(ttlClass)?.observe(Math.max(0, now - computedAtMs) / 1_000);
    const ttlMs = this.deps.ttlMs[ttlClass];
    if (!isAged(computedAtMs, ttlMs, now)) return false;
    this.deps.refresher.request(userId, ttlMs);
    return true;
  }

  /**
   * All aggregates of a user the summary table has none of: computed and stored (`stored`),
   * or for an unknown user the empty shape, stored nowhere. One computation per user at a
   * time, whichever routes ask.
   */
  private computeUser(userId: string): Promise<{ computed: ComputedAggregates; stored: boolean }> {
    let computation = this.computing.get(userId);
    if (!computation) {
      computation = (async () => {
        const known = await this.deps.timed(() => userHasData(this.deps.db.pool, userId));
        if (!known) return { computed: computeUserAggregates(emptyDigest(userId, new Date())), stored: false };
        // A newer computation stored first (`stored` false) is the one to cache, not this one.
        const { computed, stored } = await recomputeUser({ db: this.deps.db, cache: null, cachePrefix: this.deps.cachePrefix }, userId);
        return { computed, stored };
      })().finally(() => this.computing.delete(userId));
      this.computing.set(userId, computation);
    }
    return computation;
  }

  private entryOf(computed: ComputedAggregates, name: AggregateName, period: string): StoredAggregate {
    const entry = computed.entries.find((e) => e.aggregate === name && e.period === period)!;
    return { data: entry.data, computedAt: computed.computedAt };
  }
}

type ComputedAggregates = { computedAt: string; entries: { aggregate: string; period: string; data: unknown }[] };
