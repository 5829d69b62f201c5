import { computeUserAggregates } from '@shared/aggregates/compute-user-aggregates';
import { recomputeUser } from '@shared/recompute/recompute-user';
import { insertEvents, insertSessions } from '@shared/store/event-store';
import { loadUserHistory } from '@shared/store/history-loader';
import { historyFor } from '../lib/event-factory';
import { growthExponent, msSince, round, summarize } from '../lib/stats';
import type { RecomputePoint, RecomputeResult } from '../lib/results';
import type { ScenarioContext } from '../lib/scenario';
import { seededRandom } from '../lib/zipf';

/**
 * Time to recompute one user's aggregates (load → compute → save → write-through, the
 * worker's path) for histories of growing size, stored straight into the bench database.
 */
export async function runRecompute({ system, quick, progress }: ScenarioContext): Promise<RecomputeResult> {
  const sizes = quick ? [100, 1_000, 10_000] : [100, 1_000, 10_000, 100_000];
  const { pool } = system;
  const { cache } = system.main.api.infra;
  const cachePrefix = system.main.api.config.cachePrefix;
  const random = seededRandom(42);
  const points: RecomputePoint[] = [];
  for (const size of sizes) {
    const userId = `recompute-${size}`;
    const now = new Date();
    progress(`storing a history of ${size.toLocaleString('en')} events for ${userId}…`);
    const { events, sessions } = historyFor(random, userId, size, now);
    for (let i = 0; i < events.length; i += 5_000) await insertEvents(pool, events.slice(i, i + 5_000));
    for (let i = 0; i < sessions.length; i += 5_000) await insertSessions(pool, sessions.slice(i, i + 5_000));
    await pool.query('ANALYZE behavioral_events; ANALYZE study_sessions');

    const runs = size >= 100_000 ? 3 : size >= 10_000 ? 7 : 15;
    progress(`recomputing ${userId} × ${runs}…`);
    await recomputeUser({ db: { pool }, cache, cachePrefix }, userId); // warm-up (plans, JIT)
    const times: number[] = [];
    for (let i = 0; i < runs; i += 1) {
      const start = process.hrtime.bigint();
      await recomputeUser({ db: { pool }, cache, cachePrefix }, userId);
      times.push(msSince(start));
    }
    // One run split into its phases, to show where the time goes.
    const loadStart = process.hrtime.bigint();
    const history = await loadUserHistory(pool, userId, new Date());
    const load = msSince(loadStart);
    const computeStart = process.hrtime.bigint();
    computeUserAggregates(history);
    const compute = msSince(computeStart);
    const stats = summarize(times);
    points.push({
      events: size,
      sessions: sessions.length,
      p50Ms: round(stats.p50, 2),
      minMs: round(stats.min, 2),
      samples: runs,
      phasesMs: { load: round(load, 2), compute: round(compute, 2), saveAndWriteThrough: round(Math.max(0, stats.p50 - load - compute), 2) },
    });
    progress(`${size.toLocaleString('en')} events: p50 ${stats.p50.toFixed(1)} ms (load ${load.toFixed(1)}, compute ${compute.toFixed(1)})`);
  }
  return { points, growthExponent: round(growthExponent(points.map((p) => ({ size: p.events, ms: p.p50Ms }))), 3) };
}
