import { HybridCache, Uncached } from './hybrid-cache';
import { cacheKey } from './keys';
import { decodeEntry, UNAVAILABLE, type BusMessage, type L2Read, type L2Store } from './l2-cache';

/**
 * The cache core's own logic — single-flight, grace, epochs, generations, pending L2
 * invalidations, values never cached — with an in-memory L2 and a clock the test moves.
 * (test/cache/ runs the same cache on real Redis.)
 */
class FakeL2 implements L2Store {
  readonly entries = new Map<string, { payload: string; userId: string }>();
  readonly generations = new Map<string, number>();
  readonly published: BusMessage[] = [];
  down = false;
  fallbackCount = 0;

  async read(key: string, userId: string): Promise<L2Read> {
    if (this.unavailable()) return UNAVAILABLE;
    const stored = this.entries.get(key);
    return { entry: stored ? decodeEntry(stored.payload) : null, generation: String(this.generations.get(userId) ?? 0) };
  }

  async fill(key: string, userId: string, generation: string, payload: string): Promise<boolean> {
    if (this.unavailable()) return false;
    if (generation !== '*' && generation !== String(this.generations.get(userId) ?? 0)) return false;
    this.entries.set(key, { payload, userId });
    return true;
  }

  async invalidate(userId: string, _aggregate?: string, announce?: BusMessage): Promise<number | typeof UNAVAILABLE> {
    if (this.unavailable()) return UNAVAILABLE;
    this.bump(userId);
    let removed = 0;
    for (const [key, stored] of this.entries) if (stored.userId === userId && this.entries.delete(key)) removed += 1;
    if (announce) this.published.push(announce);
    return removed;
  }

  async writeThrough(userId: string, entries: { key: string; payload: string }[], announce?: BusMessage): Promise<boolean> {
    if ((await this.invalidate(userId)) === UNAVAILABLE) return false;
    for (const e of entries) this.entries.set(e.key, { payload: e.payload, userId });
    if (announce) this.published.push(announce);
    return true;
  }

  async publish(channel: string, message: string): Promise<boolean> {
    if (this.unavailable()) return false;
    this.published.push({ channel, message });
    return true;
  }

  isHealthy(): boolean {
    return !this.down;
  }

  private bump(userId: string): void {
    this.generations.set(userId, (this.generations.get(userId) ?? 0) + 1);
  }

  private unavailable(): boolean {
    if (this.down) this.fallbackCount += 1;
    return this.down;
  }
}

const TTL = 1_000;
const GRACE = 500;
/** Past any entry's expiry: TTLs carry up to 10 % of jitter. */
const PAST_TTL = TTL * 1.1 + 1;
let clock: number;
let l2: FakeL2;
let cache: HybridCache;
const key = (userId: string, aggregate = 'patterns') => cacheKey('t', { userId, aggregate, period: '-' });
const options = { queryType: 'behavioralPatterns' as const, ttlMs: TTL, graceMs: GRACE };

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

beforeEach(() => {
  clock = 1_000_000;
  l2 = new FakeL2();
  cache = new HybridCache({ redis: null, l2, now: () => clock, prefix: 't', l1MaxEntries: 100, l1MaxBytes: 1_000_000 });
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

it('does not keep in L1 what a load read before an invalidation of its user (epochs)', async () => {
  const old = loader({ v: 'old' });
  old.hold();
  const racing = cache.getOrSet(key('c'), old.load, options);
  await new Promise((resolve) => setImmediate(resolve));
  await cache.invalidateUser('c');
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
  await cache.writeThroughUsers([{ userId: 'd', entries: [{ key: key('d'), json: '{"v":"written"}', queryType: 'behavioralPatterns' }] }]);
  old.release();
  await racing;
  expect(decodeEntry(l2.entries.get(key('d'))!.payload).json).toBe('{"v":"written"}');
});

it('does not trust a user\'s L2 entries after an invalidation Redis missed, until it lands', async () => {
  await cache.getOrSet(key('e'), loader({ v: 1 }).load, options);
  l2.down = true;
  await cache.invalidateUser('e'); // L1 dropped, L2 still holds v1
  expect(l2.entries.has(key('e'))).toBe(true);
  l2.down = false;
  const fresh = loader({ v: 2 });
  // The read first completes the invalidation, so the old L2 entry is not served.
  expect(await cache.getOrSet(key('e'), fresh.load, options)).toEqual({ value: { v: 2 }, tier: 'loader', stale: false });
  expect(fresh.calls).toBe(1);
});

it('reads through L2 when L1 has nothing, and answers from the loader while L2 is down', async () => {
  await cache.getOrSet(key('f'), loader({ v: 1 }).load, options);
  const other = new HybridCache({ redis: null, l2, now: () => clock, prefix: 't', l1MaxEntries: 100, l1MaxBytes: 1_000_000 });
  try {
    expect(await other.getOrSet(key('f'), loader({ v: 'unused' }).load, options)).toEqual({ value: { v: 1 }, tier: 'l2', stale: false });
    l2.down = true;
    expect((await other.getOrSet(key('g'), loader({ v: 2 }).load, options)).tier).toBe('loader');
    expect(other.getStats().stats.fallbackCount).toBeGreaterThan(0);
  } finally {
    await other.close();
  }
});

it('caches nothing of a value the loader marks Uncached, in either tier', async () => {
  const empty = loader(new Uncached({ empty: true }));
  expect((await cache.getOrSet(key('h'), empty.load, options)).value).toEqual({ empty: true });
  expect((await cache.getOrSet(key('h'), empty.load, options)).tier).toBe('loader');
  expect(empty.calls).toBe(2);
  expect(l2.entries.size).toBe(0);
  expect(cache.getStats().l1MemorySize).toBe(0);
});

it('drops one user\'s entries from both tiers on invalidation, and no other user\'s', async () => {
  await cache.getOrSet(key('i'), loader({ v: 1 }).load, options);
  await cache.getOrSet(key('j'), loader({ v: 1 }).load, options);
  await cache.invalidateUser('i');
  expect([...l2.entries.keys()]).toEqual([key('j')]);
  expect(await cache.getOrSet(key('i'), loader({ v: 2 }).load, options)).toEqual({ value: { v: 2 }, tier: 'loader', stale: false });
  expect((await cache.getOrSet(key('j'), loader({ v: 0 }).load, options)).tier).toBe('l1');
});
