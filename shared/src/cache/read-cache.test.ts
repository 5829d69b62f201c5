import type { CacheKeySpace } from './key-space';
import type { InvalidationHandlers, InvalidationSource } from './invalidation-source';
import { decodeEntry, encodeEntry, UNAVAILABLE, type L2Read, type L2Reads } from './l2-cache';
import { ReadCache } from './read-cache';

/**
 * The read cache's own logic — single-flight, grace, epochs, generations, values never
 * cached, invalidations heard — with an in-memory L2, an invalidation channel the test
 * speaks on, and a clock the test moves. (test/cache/ runs the same cache on real Redis.)
 */
class FakeL2 implements L2Reads {
  readonly entries = new Map<string, { payload: string; userId: string }>();
  readonly generations = new Map<string, number>();
  down = false;
  fallbackCount = 0;

  async read(key: string, userId: string): Promise<L2Read> {
    if (this.unavailable()) return UNAVAILABLE;
    const stored = this.entries.get(key);
    return { entry: stored ? decodeEntry(stored.payload) : null, generation: this.generationOf(userId) };
  }

  async fill(key: string, userId: string, generation: string, payload: string): Promise<boolean> {
    if (this.unavailable()) return false;
    if (generation !== this.generationOf(userId)) return false;
    this.entries.set(key, { payload, userId });
    return true;
  }

  /** What a CacheWriter's invalidation does to L2: a new generation, the user's entries gone. */
  invalidate(userId: string): void {
    this.generations.set(userId, (this.generations.get(userId) ?? 0) + 1);
    for (const [key, stored] of this.entries) if (stored.userId === userId) this.entries.delete(key);
  }

  /** What a CacheWriter's write-through does to L2: a new generation and the user's entries replaced. */
  writeThrough(userId: string, entries: Record<string, string>): void {
    this.invalidate(userId);
    for (const [key, json] of Object.entries(entries)) this.entries.set(key, { payload: encodeEntry(json, clock + TTL, clock + TTL + GRACE), userId });
  }

  isHealthy(): boolean {
    return !this.down;
  }

  private generationOf(userId: string): string {
    return String(this.generations.get(userId) ?? 0);
  }

  private unavailable(): boolean {
    if (this.down) this.fallbackCount += 1;
    return this.down;
  }
}

/** The writers' side of the invalidation channel. */
class FakeChannel implements InvalidationSource {
  private handlers: InvalidationHandlers | null = null;
  async start(handlers: InvalidationHandlers): Promise<void> {
    this.handlers = handlers;
  }
  async close(): Promise<void> {
    this.handlers = null;
  }
  invalidate(userId: string): void {
    this.handlers?.invalidate(userId);
  }
  resync(): void {
    this.handlers?.resync();
  }
}

const TTL = 1_000;
const GRACE = 500;
/** Past any entry's expiry: TTLs carry up to 10 % of jitter. */
const PAST_TTL = TTL * 1.1 + 1;
const keys: CacheKeySpace = {
  userOf: (key) => /^t:(\w+):/.exec(key)?.[1] ?? null,
  tagKey: (userId) => `t:${userId}:keys`,
  generationKey: (userId) => `t:${userId}:gen`,
  invalidationChannel: 't:invalidate',
};
let clock: number;
let l2: FakeL2;
let channel: FakeChannel;
let cache: ReadCache;
const key = (userId: string, aggregate = 'patterns') => `t:${userId}:${aggregate}`;
const options = { ttlClass: 'behavioralPatterns' as const, ttlMs: TTL, graceMs: GRACE };
const newCache = async (source: InvalidationSource | null = null) => {
  const made = new ReadCache({ keys, redis: null, l2, invalidations: source, now: () => clock, l1MaxEntries: 100, l1MaxBytes: 1_000_000 });
  await made.ready();
  return made;
};

/** A loader that counts its calls and can be held open until `release()`. */
function loader<T>(value: T) {
  let calls = 0;
  let release: () => void = () => undefined;
  let gate: Promise<void> | null = null;
  return {
    get calls() {
      return calls;
    },
    hold() {
      gate = new Promise((resolve) => (release = resolve));
    },
    release: () => release(),
    load: async (): Promise<T> => {
      calls += 1;
      if (gate) await gate;
      return value;
    },
  };
}

beforeEach(async () => {
  clock = 1_000_000;
  l2 = new FakeL2();
  channel = new FakeChannel();
  cache = await newCache(channel);
});

afterEach(() => cache.close());

it('loads once for concurrent readers of one key (single flight), then answers from L1', async () => {
  const users = loader({ n: 1 });
  users.hold();
  const reads = Array.from({ length: 10 }, () => cache.getOrSet(key('a'), users.load, options));
  users.release();
  const results = await Promise.all(reads);
  expect(users.calls).toBe(1);
  expect(new Set(results.map((r) => r.tier))).toEqual(new Set(['loader']));
  expect(await cache.getOrSet(key('a'), users.load, options)).toEqual({ value: { n: 1 }, tier: 'l1', stale: false });
  expect(users.calls).toBe(1);
});

it('serves an expired entry within its grace as stale while one refresh runs, and reloads after the grace', async () => {
  const first = loader({ v: 1 });
  await cache.getOrSet(key('b'), first.load, options);
  l2.entries.clear(); // the refresh must reach the loader
  clock += PAST_TTL;
  const second = loader({ v: 2 });
  second.hold();
  const stale = await cache.getOrSet(key('b'), second.load, options);
  expect(stale).toEqual({ value: { v: 1 }, tier: 'l1', stale: true });
  // A second read during the refresh: still stale, and no second refresh.
  expect((await cache.getOrSet(key('b'), second.load, options)).stale).toBe(true);
  second.release();
  await new Promise((resolve) => setImmediate(resolve));
  expect(second.calls).toBe(1);
  expect(await cache.getOrSet(key('b'), second.load, options)).toEqual({ value: { v: 2 }, tier: 'l1', stale: false });

  // Past the grace, nothing stale is served: the reader waits for the loader.
  clock += PAST_TTL + GRACE;
  l2.entries.clear();
  const third = loader({ v: 3 });
  expect(await cache.getOrSet(key('b'), third.load, options)).toEqual({ value: { v: 3 }, tier: 'loader', stale: false });
});

it('does not keep in L1 what a load read before an invalidation of its user was heard (epochs)', async () => {
  const old = loader({ v: 'old' });
  old.hold();
  const racing = cache.getOrSet(key('c'), old.load, options);
  await new Promise((resolve) => setImmediate(resolve));
  l2.invalidate('c'); // a writer's invalidation: L2 first, then the message
  channel.invalidate('c');
  old.release();
  expect((await racing).value).toEqual({ v: 'old' }); // the reader that asked still gets its answer
  const fresh = loader({ v: 'new' });
  expect(await cache.getOrSet(key('c'), fresh.load, options)).toEqual({ value: { v: 'new' }, tier: 'loader', stale: false });
});

it('never puts a load back into L2 over a write-through that happened during it (generations)', async () => {
  const old = loader({ v: 'old' });
  old.hold();
  const racing = cache.getOrSet(key('d'), old.load, options);
  await new Promise((resolve) => setImmediate(resolve));
  l2.writeThrough('d', { [key('d')]: '{"v":"written"}' });
  channel.invalidate('d');
  old.release();
  await racing;
  expect(decodeEntry(l2.entries.get(key('d'))!.payload).json).toBe('{"v":"written"}');
  // …and the next read is the written value, from L2.
  expect(await cache.getOrSet(key('d'), loader({ v: 'unused' }).load, options)).toEqual({ value: { v: 'written' }, tier: 'l2', stale: false });
});

it('drops all of L1 when the invalidation channel says messages may have been missed (resync)', async () => {
  await cache.getOrSet(key('e'), loader({ v: 1 }).load, options);
  await cache.getOrSet(key('e2'), loader({ v: 1 }).load, options);
  l2.writeThrough('e', { [key('e')]: '{"v":2}' }); // its message was lost
  channel.resync();
  expect(await cache.getOrSet(key('e'), loader({ v: 'unused' }).load, options)).toEqual({ value: { v: 2 }, tier: 'l2', stale: false });
  expect((await cache.getOrSet(key('e2'), loader({ v: 'unused' }).load, options)).tier).toBe('l2');
  expect(cache.getStats().stats.invalidations).toBe(0);
});

it('reads through L2 when L1 has nothing, and answers from the loader while L2 is down', async () => {
  await cache.getOrSet(key('f'), loader({ v: 1 }).load, options);
  const other = await newCache();
  try {
    expect(await other.getOrSet(key('f'), loader({ v: 'unused' }).load, options)).toEqual({ value: { v: 1 }, tier: 'l2', stale: false });
    l2.down = true;
    expect((await other.getOrSet(key('g'), loader({ v: 2 }).load, options)).tier).toBe('loader');
    expect(other.getStats().stats.fallbackCount).toBeGreaterThan(0);
  } finally {
    await other.close();
  }
});

it('caches nothing when the loader finds nothing, and prepares nothing', async () => {
  const nothing = loader<{ v: number } | undefined>(undefined);
  const prepare = jest.fn((json: string) => json);
  expect(await cache.getOrSetPrepared(key('h'), nothing.load, { ...options, prepare })).toBeUndefined();
  expect((await cache.getOrSet(key('h'), nothing.load, options)).value).toBeUndefined();
  expect(nothing.calls).toBe(2);
  expect(prepare).not.toHaveBeenCalled();
  expect(l2.entries.size).toBe(0);
  expect(cache.getStats().l1MemorySize).toBe(0);
});

it('drops one user\'s L1 entries when an invalidation is heard, and no other user\'s', async () => {
  await cache.getOrSet(key('i'), loader({ v: 1 }).load, options);
  await cache.getOrSet(key('i', 'missions'), loader({ v: 1 }).load, options);
  await cache.getOrSet(key('j'), loader({ v: 1 }).load, options);
  l2.writeThrough('i', { [key('i')]: '{"v":2}' });
  channel.invalidate('i');
  expect(await cache.getOrSet(key('i'), loader({ v: 'unused' }).load, options)).toEqual({ value: { v: 2 }, tier: 'l2', stale: false });
  expect(await cache.getOrSet(key('i', 'missions'), loader({ v: 3 }).load, options)).toEqual({ value: { v: 3 }, tier: 'loader', stale: false });
  expect((await cache.getOrSet(key('j'), loader({ v: 0 }).load, options)).tier).toBe('l1');
  expect(cache.getStats().stats.invalidations).toBe(1);
});

it('refuses a key outside its key space', async () => {
  await expect(cache.getOrSet('not-a-key', loader(1).load, options)).rejects.toThrow(/not a cache key/);
});
