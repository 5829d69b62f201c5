import { AGGREGATES, DASHBOARD_AGGREGATE } from '@shared/aggregates/registry';
import { NO_PERIOD } from '@shared/contracts/analytics-query';
import { computeUserAggregates } from '@shared/aggregates/compute-user-aggregates';
import { emptyDigest } from '@shared/aggregates/user-digest';
import { ReadCache } from '@shared/cache/read-cache';
import { cacheKey, userKeySpace } from '@shared/contracts/cache-keys';
import { encodeEntry, L2Cache } from '@shared/cache/l2-cache';
import { measureOps } from '../lib/micro';
import { round } from '../lib/stats';
import type { CacheBenchResult, MicroResult } from '../lib/results';
import type { ScenarioContext } from '../lib/scenario';

/**
 * The micro-benchmark of the cache alone, in-process, sequential calls (as
 * bentocache measures): an L1 hit (getOrSet on an L1-only cache), a getOrSet hit on the
 * two-tier cache, and a get from the Redis tier alone (one round trip to the private Redis).
 */
const ANCHORS = {
  source: "bentocache's published benchmark (README, their machine, faster than this one)",
  l1Hit: { opsPerSec: 3_300_000, p50Ns: 292 },
  l2Get: { opsPerSec: 12_000, p50Ns: 77_000 },
};

export async function runCacheBench({ system, quick, progress }: ScenarioContext): Promise<CacheBenchResult> {
  const durationMs = quick ? 1_000 : 3_000;
  const prefix = 'benchmicro';
  const userId = 'micro-user';
  const key = cacheKey(prefix, { userId, aggregate: DASHBOARD_AGGREGATE, period: NO_PERIOD });
  // A real dashboard value: the size of what the API caches.
  const value = computeUserAggregates(emptyDigest(userId, new Date())).entries.find((e) => e.aggregate === DASHBOARD_AGGREGATE)!.data;
  const loader = async () => value;
  const options = { ttlClass: AGGREGATES[DASHBOARD_AGGREGATE].ttlClass };
  const toMicro = (m: { opsPerSec: number; p50Ns: number }): MicroResult => ({ opsPerSec: Math.round(m.opsPerSec), p50Ns: round(m.p50Ns, 1) });

  const keys = userKeySpace(prefix);
  const l1Only = new ReadCache({ keys, redis: null, invalidations: null, l1MaxEntries: 10_000, l1MaxBytes: 64 * 1024 ** 2 });
  await l1Only.getOrSet(key, loader, options);
  progress(`L1 hit (getOrSet, L1-only cache) for ${durationMs} ms…`);
  const l1Hit = toMicro(await measureOps(() => l1Only.getOrSet(key, loader, options), { durationMs, batch: 1_000 }));
  await l1Only.close();

  const { redis } = system.infra;
  const tiered = new ReadCache({ keys, redis, invalidations: null, l1MaxEntries: 10_000, l1MaxBytes: 64 * 1024 ** 2 });
  await tiered.getOrSet(key, loader, options);
  progress(`tiered getOrSet hit (L1 + L2 cache) for ${durationMs} ms…`);
  const tieredGetOrSetHit = toMicro(await measureOps(() => tiered.getOrSet(key, loader, options), { durationMs, batch: 1_000 }));
  await tiered.close();

  const l2 = new L2Cache(redis, keys);
  const json = JSON.stringify(value);
  await l2.fill(key, userId, (await l2.read(key, userId) as { generation: string }).generation, encodeEntry(json, Date.now() + 3_600_000, Date.now() + 7_200_000), 7_200_000);
  progress(`L2-only get (one Redis round trip + decode) for ${durationMs} ms…`);
  const l2Get = toMicro(await measureOps(() => l2.read(key, userId), { durationMs, batch: 1 }));
  await redis.del(key);
  return { l1Hit, tieredGetOrSetHit, l2Get, anchors: ANCHORS };
}
