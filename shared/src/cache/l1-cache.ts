import { LRUCache } from 'lru-cache';

/** An entry as both tiers hold it: the value as JSON text, its logical expiry and the end of its grace. */
export interface CacheEntry {
  json: string;
  expiresAt: number;
  staleUntil: number;
}

/**
 * Turns an entry's JSON text into the form a reader serves (for the API: the response
 * bytes and their ETag). Called at most once per L1 entry and function; `key` is the
 * entry's cache key, `tier` the tier of the read that prepares it (a hint: what will be
 * served first). What it returns must not depend on `tier`.
 */
export type Prepare<P> = (json: string, key: string, tier: 'l1' | 'l2' | 'loader') => P;

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}

/**
 * One entry as L1 holds it: the JSON text (what L2 stores), and what readers made of it,
 * each made once and shared by every later hit: the parsed value (deep-frozen) for
 * `value` readers, and one prepared form (see Prepare) for readers that serve bytes.
 * Also used for an entry served without being stored (a load that raced with an
 * invalidation, a value the loader said not to cache).
 */
export class L1Entry implements CacheEntry {
  private parsed: unknown;
  private hasParsed = false;
  private preparedBy: Prepare<unknown> | undefined;
  private prepared: unknown;

  constructor(
    readonly key: string,
    readonly json: string,
    readonly expiresAt: number,
    readonly staleUntil: number,
    /** The value already in hand (owned by the cache from now on), when there is one: no parse of `json` then. */
    value?: unknown,
  ) {
    if (value !== undefined) {
      this.parsed = deepFreeze(value);
      this.hasParsed = true;
    }
  }

  /** The value, parsed from the JSON text on first use and deep-frozen: every reader shares it. */
  get value(): unknown {
    if (!this.hasParsed) {
      this.parsed = deepFreeze(JSON.parse(this.json));
      this.hasParsed = true;
    }
    return this.parsed;
  }

  /** `prepare`'s form of this entry, made on its first use and kept (for the last function asked). */
  preparedWith<P>(prepare: Prepare<P>, tier: 'l1' | 'l2' | 'loader'): P {
    if (this.preparedBy !== prepare) {
      this.prepared = prepare(this.json, this.key, tier);
      this.preparedBy = prepare as Prepare<unknown>;
    }
    return this.prepared as P;
  }
}

interface L1Slot {
  entry: L1Entry;
  bytes: number;
}

/**
 * The in-process tier: an LRU bounded by entries and by bytes. An entry keeps its JSON
 * text and what readers made of it once (a frozen parse, response bytes), so a hit costs
 * no parse, no copy and no serialization, and no caller can mutate what others will read.
 * Keeps an index user → keys so a user's invalidation does not scan the whole cache.
 */
export class L1Cache {
  private readonly lru: LRUCache<string, L1Slot>;
  private readonly keysByUser = new Map<string, Set<string>>();

  private readonly now: () => number;
  private readonly userOf: (key: string) => string | null;

  /** `userOf`: the user a key belongs to (the cache's key space), for the per-user index. */
  constructor(options: { maxEntries: number; maxBytes: number; userOf: (key: string) => string | null; now?: () => number }) {
    this.now = options.now ?? Date.now;
    this.userOf = options.userOf;
    if (!(options.maxEntries > 0) || !(options.maxBytes > 0)) throw new TypeError('L1Cache needs maxEntries > 0 and maxBytes > 0');
    this.lru = new LRUCache<string, L1Slot>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: (slot) => Math.max(1, slot.bytes),
      dispose: (_slot, key) => this.unindex(key),
    });
  }

  /**
   * The entry, until the end of its grace (`staleUntil`); after it, the entry is dropped
   * here. lru-cache's own TTL would do the same on a get, but its bookkeeping (start times,
   * a clock refreshed by a timer) cost an L1 hit more than the rest of the lookup.
   */
  get(key: string): L1Entry | undefined {
    const slot = this.lru.get(key);
    if (slot === undefined) return undefined;
    if (this.now() < slot.entry.staleUntil) return slot.entry;
    this.lru.delete(key);
    return undefined;
  }

  /**
   * Stores an entry and returns it. `bytes` is what it is counted as against the byte
   * bound: twice its JSON text's length (the text, and one prepared or parsed copy of it).
   */
  set(key: string, entry: CacheEntry, value?: unknown): L1Entry {
    const stored = new L1Entry(key, entry.json, entry.expiresAt, entry.staleUntil, value);
    this.lru.set(key, { entry: stored, bytes: entry.json.length * 2 });
    const userId = this.userOf(key);
    if (userId) {
      let keys = this.keysByUser.get(userId);
      if (!keys) this.keysByUser.set(userId, (keys = new Set()));
      keys.add(key);
    }
    return stored;
  }

  delete(key: string): void {
    this.lru.delete(key);
  }

  /** Drops a user's entries; returns how many there were. */
  deleteUser(userId: string): number {
    const keys = this.keysByUser.get(userId);
    if (!keys) return 0;
    const removed = keys.size;
    for (const key of [...keys]) this.lru.delete(key);
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
    const userId = this.userOf(key);
    if (!userId) return;
    const keys = this.keysByUser.get(userId);
    keys?.delete(key);
    if (keys && keys.size === 0) this.keysByUser.delete(userId);
  }
}
