import { LRUCache } from 'lru-cache';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger/logger';
import type { RedisClient } from '../redis/redis-connection';
import { createReadCacheMetrics, type ReadCacheMetrics } from './cache-metrics';
import type { InvalidationSource } from './invalidation-source';
import { InvalidKeyError, type CacheKeySpace } from './key-space';
import { L1Cache, L1Entry, type CacheEntry, type Prepare } from './l1-cache';
import { encodeEntry, L2Cache, UNAVAILABLE, type L2Reads } from './l2-cache';
import { DEFAULT_GRACE_MS, DEFAULT_TTL_MS, entryLifetime, type TtlClass } from './ttl';

export type CacheTier = 'l1' | 'l2' | 'loader';

export interface ReadCacheOptions {
  /** The keys' layout: which user a key belongs to, where the user's bookkeeping lives in Redis. */
  keys: CacheKeySpace;
  /** A fail-fast connection (role 'cache'); null runs L1 only. Not closed by close(). */
  redis: RedisClient | null;
  /** The L2 tier itself instead of one over `redis` (the unit tests' in-memory fake). */
  l2?: L2Reads;
  /** Where the writers' invalidations come from (Redis pub/sub or PostgreSQL LISTEN); closed by close(). */
  invalidations: InvalidationSource | null;
  /** The clock of expiry and grace. @defaultValue Date.now */
  now?: () => number;
  l1MaxEntries: number;
  l1MaxBytes: number;
  /** Every TTL class's TTL (Config.cache.ttlMs). @defaultValue DEFAULT_TTL_MS */
  ttlMs?: Record<TtlClass, number>;
  /** How long an expired entry may still be served while one refresh runs. @defaultValue 60 000 */
  graceMs?: number;
  logger?: Logger;
  /** Where the cache registers its Prometheus metrics; none when absent. */
  registry?: Registry;
}

export interface CacheStats {
  type: 'HYBRID_CACHE';
  l1MemorySize: number;
  l1Bytes: number;
  stats: {
    totalHits: number;
    totalMisses: number;
    hitRate: string;
    l1Hits: number;
    redisHits: number;
    redisMisses: number;
    fallbackCount: number;
    staleServed: number;
    invalidations: number;
  };
  redisHealthy: boolean;
}

export interface CacheResult<T> {
  value: T;
  tier: CacheTier;
  stale: boolean;
}

interface ReadOptions {
  ttlClass: TtlClass;
  ttlMs?: number;
  graceMs?: number;
}

export type { Prepare } from './l1-cache';

/** What a lookup found: the entry (none when the loader returned undefined), its tier, and whether it is stale. */
interface Found {
  entry: L1Entry | undefined;
  tier: CacheTier;
  stale: boolean;
}

/**
 * The read side of the cache, what an API process holds: L1 (in-process LRU) → L2 (Redis)
 * → loader, with single-flight loads, stale-while-revalidate within a grace, and graceful
 * degradation when Redis is down (docs/architecture.md, "The cache"). It never writes aggregates:
 * the processes that compute them do, through a CacheWriter, and their invalidations
 * reach this L1 through `invalidations`.
 *
 * Two guards keep a load from putting old data back after a write:
 * - in L1, per-user epochs: a load that started before an invalidation of its user still
 *   answers its reader, but does not fill L1;
 * - in L2, the user's generation: a fill is refused when a write happened since the read.
 *
 * Values returned are deep-frozen and shared: callers must copy before mutating. An entry
 * is serialized once (when it is loaded or read from L2); readers that serve bytes ask
 * getOrSetPrepared for a form made from that text once per L1 entry.
 */
export class ReadCache {
  private readonly l1: L1Cache;
  private readonly l2: L2Reads | null;
  private readonly now: () => number;
  private readonly metrics: ReadCacheMetrics;
  private readonly ttl: Record<TtlClass, number>;
  private readonly graceMs: number;
  private readonly inflight = new Map<string, Promise<Found>>();
  /** Children of the hit counter per tier and query type, made once (no label object per hit). */
  private readonly hitCounters = new Map<string, { inc(): void }>();
  /** Per-user invalidation epochs: a load that started before an invalidation does not fill L1. */
  private readonly epochs = new LRUCache<string, number>({ max: 100_000 });
  private globalEpoch = 0;
  private readonly counts = { l1Hits: 0, redisHits: 0, redisMisses: 0, misses: 0, staleServed: 0, invalidations: 0 };
  private closing: Promise<void> | undefined;

  constructor(private readonly options: ReadCacheOptions) {
    this.now = options.now ?? Date.now;
    this.l1 = new L1Cache({ maxEntries: options.l1MaxEntries, maxBytes: options.l1MaxBytes, userOf: options.keys.userOf, now: this.now });
    this.metrics = createReadCacheMetrics(options.registry, () => ({ entries: this.l1.size, bytes: this.l1.bytes }));
    this.l2 = options.l2 ?? (options.redis ? new L2Cache(options.redis, options.keys, options.logger, options.registry) : null);
    this.ttl = options.ttlMs ?? DEFAULT_TTL_MS;
    this.graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  }

  /** Resolves once the invalidation source listens (at once without one). */
  async ready(): Promise<void> {
    await this.options.invalidations?.start({
      invalidate: (userId) => this.forgetLocal(userId),
      resync: () => this.dropEverythingLocal('the invalidation channel reconnected: messages may have been missed'),
    });
  }

  async getOrSet<T>(key: string, loader: () => Promise<T | undefined>, options: ReadOptions): Promise<CacheResult<T>> {
    const found = this.l1Hit(key, options) ?? (await this.lookup(key, loader, options));
    return { value: found.entry?.value as T, tier: found.tier, stale: found.stale };
  }

  /**
   * getOrSet for readers that serve the entry's JSON text in another form (the API: its
   * response bytes and ETag): `prepare` turns the text into that form once per L1 entry,
   * and an L1 hit returns the form already made. `prepare` should be one function for the
   * cache's lifetime (a new function prepares again). The loader's value is serialized
   * with JSON.stringify before it is prepared, as it would be for L2. Undefined when the
   * loader found nothing (returned undefined): nothing is cached then.
   */
  async getOrSetPrepared<T, P>(key: string, loader: () => Promise<T | undefined>, options: ReadOptions & { prepare: Prepare<P> }): Promise<CacheResult<P> | undefined> {
    const found = this.l1Hit(key, options) ?? (await this.lookup(key, loader, options));
    if (!found.entry) return undefined;
    return { value: found.entry.preparedWith(options.prepare, found.tier), tier: found.tier, stale: found.stale };
  }

  /**
   * getOrSetPrepared's L1 hit without its promise and loader: the prepared form of a fresh
   * L1 entry (counted as an L1 hit), or undefined — then call getOrSetPrepared.
   */
  peekPrepared<P>(key: string, options: ReadOptions & { prepare: Prepare<P> }): P | undefined {
    return this.l1Hit(key, options)?.entry?.preparedWith(options.prepare, 'l1');
  }

  getStats(): CacheStats {
    const totalHits = this.counts.l1Hits + this.counts.redisHits;
    const lookups = totalHits + this.counts.misses;
    return {
      type: 'HYBRID_CACHE',
      l1MemorySize: this.l1.size,
      l1Bytes: this.l1.bytes,
      stats: {
        totalHits,
        totalMisses: this.counts.misses,
        hitRate: `${(lookups === 0 ? 0 : (100 * totalHits) / lookups).toFixed(2)}%`,
        l1Hits: this.counts.l1Hits,
        redisHits: this.counts.redisHits,
        redisMisses: this.counts.redisMisses,
        fallbackCount: this.l2?.fallbackCount ?? 0,
        staleServed: this.counts.staleServed,
        invalidations: this.counts.invalidations,
      },
      redisHealthy: this.isRedisHealthy(),
    };
  }

  isRedisHealthy(): boolean {
    return this.l2?.isHealthy() ?? false;
  }

  /** Idempotent; closes the invalidation source, no connection it was handed. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.options.invalidations?.close();
      this.l1.clear();
      this.inflight.clear();
    })();
    return this.closing;
  }

  /** A fresh L1 entry, counted as a hit; undefined when L1 has none (or only an expired one). */
  private l1Hit(key: string, options: ReadOptions): Found | undefined {
    const local = this.l1.get(key);
    if (!local || this.now() >= local.expiresAt) return undefined;
    this.counts.l1Hits += 1;
    this.hitCounter('l1', options.ttlClass).inc();
    return { entry: local, tier: 'l1', stale: false };
  }

  private hitCounter(tier: 'l1' | 'l2', ttlClass: TtlClass): { inc(): void } {
    const id = `${tier}:${ttlClass}`;
    let counter = this.hitCounters.get(id);
    if (!counter) this.hitCounters.set(id, (counter = this.metrics.hits.labels(tier, ttlClass)));
    return counter;
  }

  /** After an L1 miss: a stale L1 entry within its grace (refreshed in the background), else one load for every reader. */
  private lookup(key: string, loader: () => Promise<unknown>, options: ReadOptions): Found | Promise<Found> {
    const local = this.l1.get(key);
    const userId = this.userOf(key);
    if (local && this.now() < local.staleUntil) {
      this.counts.l1Hits += 1;
      this.counts.staleServed += 1;
      this.metrics.staleServed.inc();
      this.hitCounter('l1', options.ttlClass).inc();
      this.refreshInBackground(key, userId, loader, options);
      return { entry: local, tier: 'l1', stale: true };
    }
    return this.singleFlight(key, userId, loader, options);
  }

  private singleFlight(key: string, userId: string, loader: () => Promise<unknown>, options: ReadOptions): Promise<Found> {
    const existing = this.inflight.get(key);
    if (existing) return existing;
    const flight = this.fetch(key, userId, loader, options).finally(() => {
      if (this.inflight.get(key) === flight) this.inflight.delete(key);
    });
    this.inflight.set(key, flight);
    return flight;
  }

  private refreshInBackground(key: string, userId: string, loader: () => Promise<unknown>, options: ReadOptions): void {
    if (this.inflight.has(key)) return;
    this.singleFlight(key, userId, loader, options).catch((error: Error) => {
      this.options.logger?.warn({ key, err: error.message }, 'background refresh failed; the stale value stays until its grace ends');
    });
  }

  private async fetch(key: string, userId: string, loader: () => Promise<unknown>, options: ReadOptions): Promise<Found> {
    const epoch = this.epochOf(userId);
    const remote = await this.readL2(key, userId);
    let stale: CacheEntry | undefined;
    if (remote) {
      const entry = remote.entry;
      if (entry && this.now() < entry.expiresAt) {
        this.counts.redisHits += 1;
        this.hitCounter('l2', options.ttlClass).inc();
        return { entry: this.storeL1IfCurrent(key, userId, epoch, entry), tier: 'l2', stale: false };
      }
      this.counts.redisMisses += 1;
      if (entry && this.now() < entry.staleUntil) stale = entry;
    }

    this.counts.misses += 1;
    this.metrics.misses.inc({ query_type: options.ttlClass });
    let loaded: unknown;
    try {
      loaded = await loader();
    } catch (error) {
      if (!stale) throw error;
      this.counts.staleServed += 1;
      this.metrics.staleServed.inc();
      return { entry: new L1Entry(key, stale.json, stale.expiresAt, stale.staleUntil), tier: 'l2', stale: true };
    }
    if (loaded === undefined) return { entry: undefined, tier: 'loader', stale: false };
    const json = JSON.stringify(loaded);
    const { expiresAt, staleUntil, pxMs } = entryLifetime(options.ttlMs ?? this.ttl[options.ttlClass], options.graceMs ?? this.graceMs, this.now());
    const entry = this.storeL1IfCurrent(key, userId, epoch, { json, expiresAt, staleUntil });
    // Only where the generation read before the load still holds: never over a write-through.
    if (remote) await this.l2!.fill(key, userId, remote.generation, encodeEntry(json, expiresAt, staleUntil), pxMs);
    return { entry, tier: 'loader', stale: false };
  }

  /** L2 read; null when there is no L2 or Redis is unusable. */
  private async readL2(key: string, userId: string) {
    if (!this.l2) return null;
    const read = await this.l2.read(key, userId);
    return read === UNAVAILABLE ? null : read;
  }

  /** Stores the entry in L1 unless the user was invalidated since `epoch`; returns it either way. */
  private storeL1IfCurrent(key: string, userId: string, epoch: string, entry: CacheEntry): L1Entry {
    if (this.epochOf(userId) !== epoch) return new L1Entry(key, entry.json, entry.expiresAt, entry.staleUntil);
    return this.l1.set(key, entry);
  }

  /** Drops a user's L1 entries and in-flight loads, and makes loads already running unable to fill L1. */
  private forgetLocal(userId: string): void {
    this.counts.invalidations += 1;
    this.metrics.invalidations.inc({ kind: 'remote' });
    this.epochs.set(userId, (this.epochs.get(userId) ?? 0) + 1);
    this.l1.deleteUser(userId);
    for (const key of [...this.inflight.keys()]) if (this.options.keys.userOf(key) === userId) this.inflight.delete(key);
  }

  private dropEverythingLocal(reason: string): void {
    this.globalEpoch += 1;
    this.l1.clear();
    this.inflight.clear();
    this.metrics.invalidations.inc({ kind: 'resync' });
    this.options.logger?.warn({ reason }, 'L1 cleared');
  }

  private epochOf(userId: string): string {
    return `${this.globalEpoch}.${this.epochs.get(userId) ?? 0}`;
  }

  private userOf(key: string): string {
    const userId = this.options.keys.userOf(key);
    if (!userId) throw new InvalidKeyError(`not a cache key: ${key} (build keys with the key space's layout)`);
    return userId;
  }
}
