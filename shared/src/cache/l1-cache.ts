import { LRUCache } from 'lru-cache';
import { userOfKey } from './keys';

/** An entry as both tiers hold it: the value, its logical expiry and the end of its grace. */
export interface CacheEntry {
  value: unknown;
  expiresAt: number;
  staleUntil: number;
}

interface L1Slot {
  entry: CacheEntry;
  bytes: number;
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}

/**
 * The in-process tier: an LRU bounded by entries and by bytes. Values are parsed once and
 * deep-frozen, so a hit costs no copy and no caller can mutate what others will read.
 * Keeps an index user → keys so a user's invalidation does not scan the whole cache.
 */
export class L1Cache {
  private readonly lru: LRUCache<string, L1Slot>;
  private readonly keysByUser = new Map<string, Set<string>>();

  constructor(options: { maxEntries: number; maxBytes: number }) {
    if (!(options.maxEntries > 0) || !(options.maxBytes > 0)) throw new TypeError('L1Cache needs maxEntries > 0 and maxBytes > 0');
    this.lru = new LRUCache<string, L1Slot>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: (slot) => Math.max(1, slot.bytes),
      ttlAutopurge: false,
      dispose: (_slot, key) => this.unindex(key),
    });
  }

  get(key: string): CacheEntry | undefined {
    return this.lru.get(key)?.entry;
  }

  /**
   * Stores a value the cache owns (a fresh parse, never the loader's own object), freezing
   * it; returns the frozen value every reader shares. `bytes` is its JSON size.
   */
  set(key: string, ownedValue: unknown, bytes: number, expiresAt: number, staleUntil: number): unknown {
    const value = deepFreeze(ownedValue);
    const ttl = Math.max(1, staleUntil - Date.now());
    this.lru.set(key, { entry: { value, expiresAt, staleUntil }, bytes }, { ttl });
    const userId = userOfKey(key);
    if (userId) {
      let keys = this.keysByUser.get(userId);
      if (!keys) this.keysByUser.set(userId, (keys = new Set()));
      keys.add(key);
    }
    return value;
  }

  delete(key: string): void {
    this.lru.delete(key);
  }

  /** Drops a user's entries (all, or those whose key contains `:a:<aggregate>:`). */
  deleteUser(userId: string, aggregate?: string): number {
    const keys = this.keysByUser.get(userId);
    if (!keys) return 0;
    let removed = 0;
    for (const key of [...keys]) {
      if (aggregate && !key.includes(`:a:${aggregate}:`)) continue;
      this.lru.delete(key);
      removed += 1;
    }
    return removed;
  }

  clear(): void {
    this.lru.clear();
    this.keysByUser.clear();
  }

  get size(): number {
    return this.lru.size;
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }

  private unindex(key: string): void {
    const userId = userOfKey(key);
    if (!userId) return;
    const keys = this.keysByUser.get(userId);
    keys?.delete(key);
    if (keys && keys.size === 0) this.keysByUser.delete(userId);
  }
}

