import { Agent, request } from 'node:http';
import { AGGREGATE_NAMES } from '@shared/contracts/analytics-query';
import { BENCH_KEYS } from '../lib/bench-system';
import { eventAt } from '../lib/event-factory';
import type { HitRateResult } from '../lib/results';
import type { ScenarioContext } from '../lib/scenario';
import { round } from '../lib/stats';
import { seededRandom, zipfSampler } from '../lib/zipf';

/**
 * A skewed read/write mix: 10,000 users drawn by Zipf (s = 1), reads of the nine
 * aggregates through the API and one event per 20 reads through the pipeline,
 * interleaved, 16 reads in flight. A warm-up pass (the first reads after a cold start,
 * what the hourly cache warmer otherwise covers) is reported apart from the measured part.
 */
const USERS = 10_000;
const ZIPF_S = 1;
const READS_PER_EVENT = 20;
const IN_FLIGHT = 16;

function get(agent: Agent, port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers: { Authorization: `Bearer ${BENCH_KEYS.read}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

export async function runHitRate({ system, quick, progress }: ScenarioContext): Promise<HitRateResult> {
  const warmupReads = quick ? 6_000 : 40_000;
  const measuredReads = quick ? 12_000 : 120_000;
  const random = seededRandom(2026);
  const nextUser = zipfSampler(USERS, ZIPF_S, random);
  const { cache } = system.main.api.infra;
  const port = system.main.api.server.port;
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  let events = 0;
  let failures = 0;

  const phase = async (reads: number) => {
    let issued = 0;
    const pending: Promise<unknown>[] = [];
    const worker = async () => {
      while (issued < reads) {
        issued += 1;
        if (issued % READS_PER_EVENT === 0) {
          events += 1;
          pending.push(system.publisher.publishEvents([eventAt(random, `z${nextUser()}`, new Date())]));
        }
        const name = AGGREGATE_NAMES[Math.floor(random() * AGGREGATE_NAMES.length)]!;
        const status = await get(agent, port, `/api/analytics/${name}?userId=z${nextUser()}`);
        if (status !== 200) failures += 1;
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    await Promise.all(pending);
  };

  const start = cache.getStats().stats;
  progress(`warm-up: ${warmupReads.toLocaleString('en')} reads, ${USERS.toLocaleString('en')} Zipf users, 1 event per ${READS_PER_EVENT} reads…`);
  await phase(warmupReads);
  const afterWarmup = cache.getStats().stats;
  progress(`measured: ${measuredReads.toLocaleString('en')} reads…`);
  await phase(measuredReads);
  const end = cache.getStats();
  agent.destroy();
  if (failures > 0) throw new Error(`${failures} reads did not answer 200`);

  const rate = (from: typeof start, to: typeof start) => {
    const hits = to.totalHits - from.totalHits;
    const misses = to.totalMisses - from.totalMisses;
    return hits + misses === 0 ? 0 : hits / (hits + misses);
  };
  return {
    users: USERS,
    zipfExponent: ZIPF_S,
    readsPerEvent: READS_PER_EVENT,
    warmupReads,
    reads: measuredReads,
    events,
    hitRate: round(rate(afterWarmup, end.stats), 4),
    hitRateIncludingWarmup: round(rate(start, end.stats), 4),
    cacheStatsHitRate: end.stats.hitRate,
    l1Hits: end.stats.l1Hits - afterWarmup.l1Hits,
    l2Hits: end.stats.redisHits - afterWarmup.redisHits,
    misses: end.stats.totalMisses - afterWarmup.totalMisses,
  };
}
