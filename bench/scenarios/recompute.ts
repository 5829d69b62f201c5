import type pg from 'pg';
import { computeUserAggregates } from '@shared/aggregates/compute-user-aggregates';
import type { BehavioralEvent } from '@shared/contracts/behavioral-event';
import type { SessionCompleted } from '@shared/contracts/session-completed';
import { recomputeUser } from '@shared/recompute/recompute-user';
import { recomputeUsers, type RecomputeDeps } from '@shared/recompute/recompute-users';
import { insertEvents, insertSessions } from '@shared/store/event-store';
import { loadDigests } from '@shared/store/digest-loader';
import { redisServerPid, startCpuMeter, type CpuSplit } from '../lib/cpu-meter';
import { historyFor } from '../lib/event-factory';
import { growthExponent, msSince, round, summarize } from '../lib/stats';
import type { CpuMsPerUser, RecomputeBatchRow, RecomputePoint, RecomputeResult } from '../lib/results';
import type { ScenarioContext } from '../lib/scenario';
import { seededRandom, type Random } from '../lib/zipf';

/**
 * Recomputes (load → compute → save → write-through, the worker's path), stored straight
 * into the bench database:
 * - `points`: one user's aggregates for histories of growing size, one at a time;
 * - `batch`: `recomputeUsers` over typical users (100 events each) in batches of 1, 16,
 *   64 and 256, and 64 with two batches at once as the workers run them, with the CPU
 *   each user costs in this process, in PostgreSQL and in Redis.
 */
const BATCH_USERS = 1_024;
const BATCH_USER_EVENTS = 100;
const BATCH_RUNS = [
  { batchSize: 1, inFlight: 1 },
  { batchSize: 16, inFlight: 1 },
  { batchSize: 64, inFlight: 1 },
  { batchSize: 256, inFlight: 1 },
  { batchSize: 64, inFlight: 2 },
];
const INSERT_CHUNK = 5_000;

type History = { events: BehavioralEvent[]; sessions: SessionCompleted[] };

async function storeHistories(pool: pg.Pool, histories: readonly History[]): Promise<void> {
  const events = histories.flatMap((h) => h.events);
  const sessions = histories.flatMap((h) => h.sessions);
  for (let i = 0; i < events.length; i += INSERT_CHUNK) await insertEvents(pool, events.slice(i, i + INSERT_CHUNK));
  for (let i = 0; i < sessions.length; i += INSERT_CHUNK) await insertSessions(pool, sessions.slice(i, i + INSERT_CHUNK));
  await pool.query('ANALYZE behavioral_events; ANALYZE study_sessions');
}

async function measurePoint(deps: RecomputeDeps & { db: { pool: pg.Pool } }, random: Random, size: number, progress: ScenarioContext['progress']): Promise<RecomputePoint> {
  const { pool } = deps.db;
  const userId = `recompute-${size}`;
  progress(`storing a history of ${size.toLocaleString('en')} events for ${userId}…`);
  const history = historyFor(random, userId, size, new Date());
  await storeHistories(pool, [history]);

  const runs = size >= 100_000 ? 3 : size >= 10_000 ? 7 : 15;
  progress(`recomputing ${userId} × ${runs}…`);
  await recomputeUser(deps, userId); // warm-up (plans, JIT)
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const start = process.hrtime.bigint();
    await recomputeUser(deps, userId);
    times.push(msSince(start));
  }
  // One run split into its phases, to show where the time goes.
  const loadStart = process.hrtime.bigint();
  const loaded = (await loadDigests(pool, [userId], new Date())).get(userId)!;
  const load = msSince(loadStart);
  const computeStart = process.hrtime.bigint();
  computeUserAggregates(loaded.digest);
  const compute = msSince(computeStart);
  const stats = summarize(times);
  progress(`${size.toLocaleString('en')} events: p50 ${stats.p50.toFixed(1)} ms (load ${load.toFixed(1)}, compute ${compute.toFixed(1)})`);
  return {
    events: size,
    sessions: history.sessions.length,
    p50Ms: round(stats.p50, 2),
    minMs: round(stats.min, 2),
    samples: runs,
    phasesMs: { load: round(load, 2), compute: round(compute, 2), saveAndWriteThrough: round(Math.max(0, stats.p50 - load - compute), 2) },
  };
}

/** `inFlight` loops recomputing the next `batchSize` users (cycling through `userIds`) until `minMs` has passed. */
async function recomputeInBatches(deps: RecomputeDeps, userIds: readonly string[], run: { batchSize: number; inFlight: number }, minMs: number): Promise<{ users: number; seconds: number }> {
  let cursor = 0;
  const nextBatch = () => Array.from({ length: run.batchSize }, () => userIds[cursor++ % userIds.length]!);
  let users = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: run.inFlight }, async () => {
      while (performance.now() - start < minMs) {
        const batch = nextBatch();
        const failed = [...(await recomputeUsers(deps, batch)).values()].find((outcome) => outcome instanceof Error);
        if (failed) throw failed;
        users += batch.length;
      }
    }),
  );
  return { users, seconds: (performance.now() - start) / 1_000 };
}

function perUser(cpu: CpuSplit, users: number): CpuMsPerUser {
  const share = (ms: number) => round(ms / users, 3);
  const shareIfMeasured = (ms: number | null) => (ms === null ? null : share(ms));
  const total = cpu.postgres === null || cpu.redis === null ? null : cpu.node + cpu.postgres + cpu.redis;
  return { node: share(cpu.node), postgres: shareIfMeasured(cpu.postgres), redis: shareIfMeasured(cpu.redis), total: shareIfMeasured(total) };
}

async function measureBatches(system: ScenarioContext['system'], deps: RecomputeDeps, random: Random, quick: boolean, progress: ScenarioContext['progress']): Promise<RecomputeBatchRow[]> {
  const userIds = Array.from({ length: BATCH_USERS }, (_, i) => `recompute-batch-${i}`);
  progress(`storing ${BATCH_USERS.toLocaleString('en')} users × ${BATCH_USER_EVENTS} events for the batch runs…`);
  const now = new Date();
  await storeHistories(system.pool, userIds.map((id) => historyFor(random, id, BATCH_USER_EVENTS, now)));
  const redisPid = await redisServerPid(system.infra.redis);
  const minMs = quick ? 1_000 : 3_000;
  const rows: RecomputeBatchRow[] = [];
  for (const run of BATCH_RUNS) {
    await recomputeUsers(deps, userIds.slice(0, run.batchSize)); // warm-up (plans for this batch size, JIT)
    const meter = await startCpuMeter({ pool: system.pool, redisPid });
    const { users, seconds } = await recomputeInBatches(deps, userIds, run, minMs);
    const cpu = await meter.stop();
    const row = { ...run, users, seconds: round(seconds, 2), usersPerSec: round(users / seconds, 0), cpuMsPerUser: perUser(cpu, users) };
    rows.push(row);
    progress(`batches of ${run.batchSize} × ${run.inFlight} in flight: ${row.usersPerSec} users/s, CPU ms per user ${JSON.stringify(row.cpuMsPerUser)}`);
  }
  return rows;
}

export async function runRecompute({ system, quick, progress }: ScenarioContext): Promise<RecomputeResult> {
  const sizes = quick ? [100, 1_000, 10_000] : [100, 1_000, 10_000, 100_000];
  const { config } = system.main.api;
  // Measured as the workers run them: their write side of the cache, no L1.
  const deps = { db: { pool: system.pool }, cache: system.writer, cachePrefix: config.cachePrefix };
  const random = seededRandom(42);
  const points: RecomputePoint[] = [];
  for (const size of sizes) points.push(await measurePoint(deps, random, size, progress));
  const batch = await measureBatches(system, deps, random, quick, progress);
  return {
    points,
    growthExponent: round(growthExponent(points.map((p) => ({ size: p.events, ms: p.p50Ms }))), 3),
    batchEvents: BATCH_USER_EVENTS,
    batch,
  };
}
