import { Agent, request } from 'node:http';
import { cacheKey } from '@shared/contracts/cache-keys';
import { AGGREGATE_NAMES, AGGREGATES, type AggregateName } from '@shared/aggregates/registry';
import { recomputeUser } from '@shared/recompute/recompute-user';
import { insertEvents, insertSessions } from '@shared/store/event-store';
import { BENCH_KEYS, type BenchSystem } from '../lib/bench-system';
import { eventAt, historyFor } from '../lib/event-factory';
import type { HitRateResult } from '../lib/results';
import type { ScenarioContext } from '../lib/scenario';
import { round } from '../lib/stats';
import { seededRandom, zipfSampler } from '../lib/zipf';

/**
 * A skewed read/write mix: 10,000 users drawn by Zipf (s = 1), reads of every
 * aggregate (AGGREGATE_NAMES) through the API and one event per 20 reads through the pipeline,
 * interleaved, 16 reads in flight.
 *
 * Starting state, as in production: every user has been recomputed once, so their
 * aggregates are in the summary table and were written through to L2 (the recompute's
 * write-through; one entry per STORED_AGGREGATE_KEYS). To seed 10,000 users in seconds rather than
 * through 10,000 recomputes, one user's real aggregates are copied to the others in SQL
 * and written through with the same `writeThrough` call the recompute worker makes.
 * A warm-up pass is reported apart from the measured part; misses then come from TTL
 * expiry (2 to 30 minutes by query type) and cold keys, events invalidate and rewrite.
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

async function seedUsers(system: BenchSystem, progress: (m: string) => void): Promise<void> {
  const { pool } = system;
  const { config } = system.main.api;
  const cache = system.writer;
  const template = 'hr-template';
  const { events, sessions } = historyFor(seededRandom(5), template, 200, new Date());
  await insertEvents(pool, events);
  await insertSessions(pool, sessions);
  await recomputeUser({ db: { pool }, cache, cachePrefix: config.cachePrefix }, template);
  progress(`seeding ${USERS.toLocaleString('en')} users: summary rows (SQL copy) and their write-through to L2…`);
  await pool.query(
    `INSERT INTO aggregate_snapshots (user_id, aggregate, period, data, computed_at)
     SELECT 'z' || g, aggregate, period, data, computed_at FROM aggregate_snapshots, generate_series(0, $2::int - 1) g WHERE user_id = $1`,
    [template, USERS],
  );
  const { rows } = await pool.query<{ aggregate: AggregateName; period: string; data: unknown; computed_at: Date }>(
    'SELECT aggregate, period, data, computed_at FROM aggregate_snapshots WHERE user_id = $1',
    [template],
  );
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < USERS) {
        const userId = `z${next++}`;
        await cache.writeThroughUsers([
          {
            userId,
            entries: rows.map((row) => ({
              key: cacheKey(config.cachePrefix, { userId, aggregate: row.aggregate, period: row.period }),
              json: JSON.stringify({ data: row.data, computedAt: row.computed_at.toISOString() }),
              ttlClass: AGGREGATES[row.aggregate].ttlClass,
            })),
          },
        ]);
      }
    }),
  );
}

export async function runHitRate({ system, quick, progress }: ScenarioContext): Promise<HitRateResult> {
  const warmupReads = quick ? 4_000 : 20_000;
  const measuredReads = quick ? 12_000 : 80_000;
  await seedUsers(system, progress);
  const random = seededRandom(2026);
  const nextUser = zipfSampler(USERS, ZIPF_S, random);
  const { cache } = system.infra;
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
