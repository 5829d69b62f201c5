import type { CacheWriter } from '@shared/cache/cache-writer';
import { cacheKey } from '@shared/contracts/cache-keys';
import { cacheFactory, eventually } from '../support/cache-helpers';

const factory = cacheFactory();
const key = (userId: string, aggregate = 'patterns', period = '-') => cacheKey(factory.prefix, { userId, aggregate, period });
const opts = { ttlClass: 'behavioralPatterns' as const };
/** A worker's write-through of one user's entries (key → value). */
const writeThrough = (writer: CacheWriter, userId: string, entries: Record<string, unknown>) =>
  writer.writeThroughUsers([{ userId, entries: Object.entries(entries).map(([k, value]) => ({ key: k, json: JSON.stringify(value), ttlClass: opts.ttlClass })) }]);

afterAll(() => factory.cleanup());

describe('the read cache and the cache writer on real Redis', () => {
  it('misses, then hits L1, then L2 from a second instance, and accounts for each', async () => {
    const a = await factory.create();
    const b = await factory.create();
    let calls = 0;
    const loader = async () => ({ n: ++calls });
    expect(await a.getOrSet(key('u1'), loader, opts)).toEqual({ value: { n: 1 }, tier: 'loader', stale: false });
    expect(await a.getOrSet(key('u1'), loader, opts)).toEqual({ value: { n: 1 }, tier: 'l1', stale: false });
    expect(await b.getOrSet(key('u1'), loader, opts)).toEqual({ value: { n: 1 }, tier: 'l2', stale: false });
    expect(await b.getOrSet(key('u1'), loader, opts)).toMatchObject({ tier: 'l1' });
    expect(calls).toBe(1);
    expect(a.getStats()).toMatchObject({ type: 'HYBRID_CACHE', l1MemorySize: 1, stats: { totalHits: 1, totalMisses: 1, hitRate: '50.00%', redisHits: 0, redisMisses: 1 }, redisHealthy: true });
    expect(b.getStats().stats).toMatchObject({ totalHits: 2, totalMisses: 0, hitRate: '100.00%', redisHits: 1, l1Hits: 1 });
  });

  it('expires entries after their TTL (ms) in both tiers', async () => {
    const cache = await factory.create({ graceMs: 0 });
    let calls = 0;
    await cache.getOrSet(key('ttl'), async () => ++calls, { ttlClass: 'cognitiveLoad', ttlMs: 50 });
    expect((await cache.getOrSet(key('ttl'), async () => ++calls, { ttlClass: 'cognitiveLoad', ttlMs: 50 })).tier).toBe('l1');
    await new Promise((r) => setTimeout(r, 120));
    expect(await cache.getOrSet(key('ttl'), async () => ++calls, { ttlClass: 'cognitiveLoad', ttlMs: 50 })).toMatchObject({ value: 2, tier: 'loader' });
  });

  it('runs the loader once for 100 concurrent misses', async () => {
    const cache = await factory.create();
    let calls = 0;
    const loader = async () => {
      calls += 1;
      await new Promise((r) => setTimeout(r, 30));
      return { v: 'x' };
    };
    const results = await Promise.all(Array.from({ length: 100 }, () => cache.getOrSet(key('flight'), loader, opts)));
    expect(calls).toBe(1);
    expect(results.every((r) => r.value.v === 'x')).toBe(true);
  });

  it('serves a stale value within grace while one refresh runs, and stale rather than an error when the loader fails', async () => {
    const cache = await factory.create({ graceMs: 10_000 });
    await cache.getOrSet(key('grace'), async () => 'old', { ttlClass: 'cognitiveLoad', ttlMs: 20 });
    await new Promise((r) => setTimeout(r, 40));
    let refreshes = 0;
    const failing = async () => {
      refreshes += 1;
      throw new Error('database down');
    };
    const results = await Promise.all([1, 2, 3].map(() => cache.getOrSet(key('grace'), failing, { ttlClass: 'cognitiveLoad', ttlMs: 20 })));
    expect(results.map((r) => [r.value, r.stale])).toEqual([['old', true], ['old', true], ['old', true]]);
    await eventually(() => refreshes === 1);
    // from a fresh instance (L1 cold) the stale L2 entry is served when the loader fails
    const other = await factory.create({ graceMs: 10_000 });
    expect(await other.getOrSet(key('grace'), failing, { ttlClass: 'cognitiveLoad', ttlMs: 20 })).toEqual({ value: 'old', tier: 'l2', stale: true });
    // without any stale value, the loader's error reaches the caller
    await expect(other.getOrSet(key('never'), failing, opts)).rejects.toThrow('database down');
  });

  it('a writer\'s invalidation drops exactly that user\'s entries, from L2 and from every reader\'s L1', async () => {
    const writer = await factory.writer();
    const reader = await factory.create();
    const keys = [key('p1', 'patterns'), key('p1', 'missions/summary', '7d'), key('p2', 'missions/summary', '7d')];
    for (const k of keys) await reader.getOrSet(k, async () => ({ k }), opts);
    expect(await writer.invalidateUsers(['p1'])).toEqual(new Set(['p1']));
    const fresh = await factory.create({ subscriber: null });
    const tiers = await Promise.all(keys.map(async (k) => (await fresh.getOrSet(k, async () => 'reloaded', opts)).tier));
    expect(tiers).toEqual(['loader', 'loader', 'l2']);
    await eventually(async () => (await reader.getOrSet(keys[0]!, async () => 'reloaded', opts)).tier !== 'l1', 2_000);
    expect((await reader.getOrSet(keys[2]!, async () => 'unused', opts)).tier).toBe('l1');
  });

  it('propagates a writer\'s invalidation to the L1 of every reader', async () => {
    const writer = await factory.writer();
    const a = await factory.create();
    const b = await factory.create();
    await a.getOrSet(key('bus'), async () => 1, opts);
    await b.getOrSet(key('bus'), async () => 1, opts);
    expect((await b.getOrSet(key('bus'), async () => 2, opts)).tier).toBe('l1');
    await writer.invalidateUsers(['bus']);
    for (const reader of [a, b]) await eventually(async () => (await reader.getOrSet(key('bus'), async () => 2, opts)).tier !== 'l1', 2_000);
    expect((await b.getOrSet(key('bus'), async () => 3, opts)).value).toBe(2);
  });

  it('write-through: another instance reads the new value from L2, never the old one', async () => {
    const worker = await factory.writer();
    const api = await factory.create();
    await api.getOrSet(key('wt', 'patterns'), async () => ({ v: 'old' }), opts);
    await api.getOrSet(key('wt', 'objectives'), async () => ({ v: 'old' }), opts);
    expect(await writeThrough(worker, 'wt', { [key('wt', 'patterns')]: { v: 'new' } })).toEqual(new Set(['wt']));
    await eventually(async () => (await api.getOrSet(key('wt', 'patterns'), async () => ({ v: 'loader' }), opts)).value.v === 'new', 2_000);
    expect(await api.getOrSet(key('wt', 'patterns'), async () => ({ v: 'loader' }), opts)).toMatchObject({ tier: 'l1', value: { v: 'new' } });
    // the user's other entries were dropped by the write-through
    expect((await api.getOrSet(key('wt', 'objectives'), async () => ({ v: 'reloaded' }), opts)).value.v).toBe('reloaded');
  });

  it('does not let a load that raced with a write-through put its old value back', async () => {
    const worker = await factory.writer();
    const api = await factory.create();
    let release!: () => void;
    const slowOldLoad = api.getOrSet(
      key('race'),
      () => new Promise<{ v: string }>((resolve) => (release = () => resolve({ v: 'old' }))),
      opts,
    );
    await eventually(() => release !== undefined);
    expect(await writeThrough(worker, 'race', { [key('race')]: { v: 'new' } })).toEqual(new Set(['race']));
    release();
    expect((await slowOldLoad).value.v).toBe('old'); // the caller that asked before gets its answer
    for (const cache of [api, await factory.create()]) {
      expect((await cache.getOrSet(key('race'), async () => ({ v: 'loader' }), opts)).value.v).toBe('new');
    }
  });

  it('returns values no caller can mutate into the cache', async () => {
    const cache = await factory.create();
    const source = { list: [1, 2], nested: { a: 1 } };
    const first = await cache.getOrSet(key('frozen'), async () => source, opts);
    source.list.push(3);
    expect(() => (first.value as typeof source).list.push(4)).toThrow(TypeError);
    expect(() => ((first.value as typeof source).nested.a = 2)).toThrow(TypeError);
    expect((await cache.getOrSet(key('frozen'), async () => source, opts)).value).toEqual({ list: [1, 2], nested: { a: 1 } });
  });

  it('registers its Prometheus metrics on the given registry', async () => {
    const { Registry } = await import('prom-client');
    const registry = new Registry();
    const cache = await factory.create({ registry });
    await cache.getOrSet(key('m'), async () => 1, opts);
    await cache.getOrSet(key('m'), async () => 1, opts);
    const text = await registry.metrics();
    expect(text).toMatch(/cache_hits_total\{tier="l1",query_type="behavioralPatterns"\} 1/);
    expect(text).toMatch(/cache_misses_total\{query_type="behavioralPatterns"\} 1/);
    expect(text).toMatch(/cache_l1_entries 1/);
    expect(text).toMatch(/cache_l2_latency_seconds_bucket/);
  });
  it('prepares an entry once per L1 entry from its stored text, whichever tier filled it, and peeks at L1 without a loader', async () => {
    const a = await factory.create();
    const b = await factory.create();
    const seen: { json: string; tier: string }[] = [];
    const prepare = (json: string, _key: string, tier: string) => {
      seen.push({ json, tier });
      return { bytes: Buffer.from(json) };
    };
    const options = { ...opts, prepare };
    expect(a.peekPrepared(key('prep'), options)).toBeUndefined();
    const loaded = (await a.getOrSetPrepared(key('prep'), async () => ({ z: 1, a: [2] }), options))!;
    expect([loaded.tier, loaded.value.bytes.toString()]).toEqual(['loader', '{"z":1,"a":[2]}']);
    expect(a.peekPrepared(key('prep'), options)).toBe(loaded.value);
    expect((await a.getOrSetPrepared(key('prep'), async () => ({ other: true }), options))?.value).toBe(loaded.value);
    const fromL2 = (await b.getOrSetPrepared(key('prep'), async () => ({ other: true }), options))!;
    expect([fromL2.tier, fromL2.value.bytes.toString()]).toEqual(['l2', '{"z":1,"a":[2]}']);
    expect(b.peekPrepared(key('prep'), options)).toBe(fromL2.value);
    expect(seen.map((s) => s.tier)).toEqual(['loader', 'l2']);
    expect(a.getStats().stats).toMatchObject({ l1Hits: 2, totalMisses: 1 });
    // A value written through is served from its text too; no loader runs.
    await writeThrough(await factory.writer(), 'prep', { [key('prep')]: { fresh: 1 } });
    await eventually(() => a.peekPrepared(key('prep'), options) === undefined, 2_000);
    const written = (await a.getOrSetPrepared(key('prep'), async () => ({ other: true }), options))!;
    expect([written.tier, written.value.bytes.toString()]).toEqual(['l2', '{"fresh":1}']);
  });
});
