import { computeUserAggregates } from '@shared/aggregates/compute-user-aggregates';
import { emptyDigest } from '@shared/aggregates/user-digest';
import { cacheKey } from '@shared/contracts/cache-keys';
import { AGGREGATES } from '@shared/aggregates/registry';
import type { RedisClient } from '@shared/redis/redis-connection';
import { msSince, round, summarize } from '../lib/stats';
import type { InvalidationResult } from '../lib/results';
import type { ScenarioContext } from '../lib/scenario';

/**
 * Invalidating one user's entries while 1,000,000 unrelated keys sit in Redis (the
 * private one): the cache writer's tag-set + generation invalidation (`invalidateUsers`,
 * L2 and the bus message included) against what a naive cache does, SCAN MATCH + DEL by pattern
 * over the same keyspace. Before every sample the user's entries (one per stored aggregate
 * key) are written back (as a recompute would), untimed.
 */
const UNRELATED_KEYS = 1_000_000;

async function fillUnrelatedKeys(redis: RedisClient, count: number): Promise<void> {
  try {
    // Fast path: the private redis-server runs with --enable-debug-command local.
    await redis.call('DEBUG', 'POPULATE', String(count), 'bench:unrelated', '64');
    return;
  } catch {
    // Fallback: pipelined SETs.
  }
  for (let start = 0; start < count; start += 10_000) {
    const pipeline = redis.pipeline();
    for (let i = start; i < Math.min(count, start + 10_000); i += 1) pipeline.set(`bench:unrelated:${i}`, 'x'.repeat(64));
    await pipeline.exec();
  }
}

async function scanAndDelete(redis: RedisClient, pattern: string): Promise<number> {
  let cursor = '0';
  let removed = 0;
  do {
    const [next, keys] = (await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1_000)) as [string, string[]];
    cursor = next;
    if (keys.length > 0) removed += await redis.del(...keys);
  } while (cursor !== '0');
  return removed;
}

export async function runInvalidation({ system, quick, progress }: ScenarioContext): Promise<InvalidationResult> {
  const { redis } = system.infra;
  const cache = system.writer;
  const prefix = system.main.api.config.cachePrefix;
  const userId = 'inv-user';
  progress(`putting ${UNRELATED_KEYS.toLocaleString('en')} unrelated keys into the private Redis…`);
  await fillUnrelatedKeys(redis, UNRELATED_KEYS);
  const dbsize = Number(await redis.dbsize());

  const computed = computeUserAggregates(emptyDigest(userId, new Date()));
  const entries = computed.entries.map((entry) => ({
    key: cacheKey(prefix, { userId, aggregate: entry.aggregate, period: entry.period }),
    json: JSON.stringify({ data: entry.data, computedAt: computed.computedAt }),
    ttlClass: AGGREGATES[entry.aggregate].ttlClass,
  }));
  const refill = () => cache.writeThroughUsers([{ userId, entries }]);
  const entriesLeft = () => redis.exists(...entries.map((e) => e.key));

  const samples = quick ? 300 : 2_000;
  progress(`invalidateUsers(["${userId}"]) × ${samples} (keyspace: ${dbsize.toLocaleString('en')} keys)…`);
  const times: number[] = [];
  for (let i = 0; i < samples + 20; i += 1) {
    await refill();
    if ((await entriesLeft()) !== entries.length) throw new Error(`the write-through left ${await entriesLeft()} of ${entries.length} entries`);
    const start = process.hrtime.bigint();
    const done = await cache.invalidateUsers([userId]);
    const ms = msSince(start);
    if (!done.has(userId) || (await entriesLeft()) !== 0) throw new Error(`the invalidation left ${await entriesLeft()} of ${entries.length} entries`);
    if (i >= 20) times.push(ms);
  }

  const baselineSamples = quick ? 3 : 5;
  const pattern = `${prefix}:{u:${userId}}:a:*`;
  progress(`SCAN MATCH ${pattern} + DEL baseline × ${baselineSamples}…`);
  const baseline: number[] = [];
  for (let i = 0; i < baselineSamples; i += 1) {
    await refill();
    const start = process.hrtime.bigint();
    const removed = await scanAndDelete(redis, pattern);
    baseline.push(msSince(start));
    if (removed !== entries.length) throw new Error(`SCAN baseline removed ${removed} keys, expected ${entries.length}`);
  }
  await cache.invalidateUsers([userId]);

  const stats = summarize(times);
  const scanBaselineMs = summarize(baseline).p50;
  return {
    unrelatedKeys: dbsize,
    entriesPerUser: entries.length,
    samples,
    p50Ms: round(stats.p50, 3),
    p99Ms: round(stats.p99, 3),
    scanBaselineMs: round(scanBaselineMs, 1),
    scanBaselineSamples: baselineSamples,
    speedup: round(scanBaselineMs / stats.p50, 0),
  };
}
