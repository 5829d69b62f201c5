import { DASHBOARD_AGGREGATE } from '@shared/aggregates/registry';
import type { ReadCache } from '@shared/cache/read-cache';
import { serverInfra } from '@shared/runtime/system';
import { recomputeUser } from '@shared/recompute/recompute-user';
import { insertEvents, insertSessions } from '@shared/store/event-store';
import { startBareExpress } from '../lib/bare-express';
import { BENCH_KEYS } from '../lib/bench-system';
import { historyFor } from '../lib/event-factory';
import { requestJson, runLoad } from '../lib/http-load';
import type { LoadResult } from '../lib/load-generator';
import type { ReadsResult, ReadTier } from '../lib/results';
import type { ScenarioContext } from '../lib/scenario';
import { median, round } from '../lib/stats';
import { seededRandom } from '../lib/zipf';

/**
 * GET /api/analytics/<the dashboard aggregate> under autocannon (in a child process),
 * per tier, beside a bare Express route that returns the same JSON from a constant, with
 * the same connections:
 * - L1: one user whose entry is in L1 (the main API);
 * - summary table (both cold): a second API in this process whose L1 holds ONE entry,
 *   under its own cache prefix (nothing of it in L2), reading distinct users that have a
 *   stored dashboard row, each once (the child's counter never revisits a user);
 * - L2 (L1 cold): the same second API reading, in turn, the users the summary-table runs
 *   loaded (each load filled L2); its one-entry L1 never holds the next user.
 * Also GET /health/live on the main API: the app's middleware alone (security headers, request
 * id and log, metrics), no auth, no cache, a tiny constant body — the ceiling of any route of this app.
 * The machine is shared and noisy: every target is first warmed up (JIT), then the tiers run
 * in interleaved rounds; each figure is the median over rounds, each ratio the median of the
 * per-round ratios (tier and bare measured seconds apart). The cache stats of the API under
 * test say which tier really served (tierShare).
 */
const AGGREGATE_PATH = `/api/analytics/${DASHBOARD_AGGREGATE}`;

const counts = (cache: ReadCache) => {
  const { stats } = cache.getStats();
  return { l1: stats.l1Hits, l2: stats.redisHits, misses: stats.totalMisses };
};
type Counts = ReturnType<typeof counts>;

interface Target {
  name: 'bare' | 'health' | 'l1' | 'l2' | 'db';
  run: (durationSec: number) => Promise<{ load: LoadResult; served: number }>;
}


export async function runReads({ system, quick, progress, cleanup }: ScenarioContext): Promise<ReadsResult> {
  const connections = 32;
  const durationSec = quick ? 2 : 5;
  const rounds = quick ? 2 : 3;
  const warmupSec = 1;
  const distinctUsers = quick ? 25_000 : 80_000;
  const { pool, main } = system;
  const { cache } = system.infra;
  const cachePrefix = main.api.config.cachePrefix;
  const headers = { Authorization: `Bearer ${BENCH_KEYS.read}` };

  progress('seeding a user with 300 events and its aggregates…');
  const template = 'reads-template';
  const { events, sessions } = historyFor(seededRandom(7), template, 300, new Date());
  await insertEvents(pool, events);
  await insertSessions(pool, sessions);
  await recomputeUser({ db: { pool }, cache: system.writer, cachePrefix }, template);
  progress(`copying its dashboard row to ${distinctUsers.toLocaleString('en')} users (rd0…) for the cold tiers…`);
  await pool.query(
    `INSERT INTO aggregate_snapshots (user_id, aggregate, period, data, computed_at)
     SELECT 'rd' || g, aggregate, period, data, computed_at FROM aggregate_snapshots, generate_series(0, $2::int - 1) g
     WHERE user_id = $1 AND aggregate = $3`,
    [template, distinctUsers, DASHBOARD_AGGREGATE],
  );
  await pool.query('ANALYZE aggregate_snapshots');

  const l1Path = `${AGGREGATE_PATH}?userId=${template}`;
  const body = await requestJson<unknown>(`${main.baseUrl}${l1Path}`, { key: BENCH_KEYS.read });
  const bare = await startBareExpress(body);
  cleanup.add('bare Express server', () => new Promise((resolve) => bare.server.close(() => resolve(undefined))).then(() => bare.server.closeAllConnections()));
  const cold = await system.bootExtraApi({ CACHE_L1_MAX_ENTRIES: '1', CACHE_PREFIX: 'benchcold', DATABASE_CONNECTION_LIMIT: '10' });
  const coldCache = serverInfra(cold.api).cache;

  let dbOffset = 0;
  const measured = async (cacheUnderTest: ReadCache, pick: (before: Counts, after: Counts) => number, load: () => Promise<LoadResult>) => {
    const before = counts(cacheUnderTest);
    const result = await load();
    return { load: result, served: pick(before, counts(cacheUnderTest)) };
  };
  const targets: Target[] = [
    { name: 'bare', run: async (d) => ({ load: await runLoad({ url: `http://127.0.0.1:${bare.port}`, path: '/bare', connections, durationSec: d }), served: 0 }) },
    { name: 'health', run: async (d) => ({ load: await runLoad({ url: main.baseUrl, path: '/health/live', connections, durationSec: d }), served: 0 }) },
    { name: 'l1', run: (d) => measured(cache, (b, a) => a.l1 - b.l1, () => runLoad({ url: main.baseUrl, path: l1Path, connections, durationSec: d, headers })) },
    {
      name: 'db',
      run: async (d) => {
        const result = await measured(coldCache, (b, a) => a.misses - b.misses, () =>
          runLoad({ url: cold.baseUrl, path: `${AGGREGATE_PATH}?userId=rd{n}`, count: distinctUsers, offset: dbOffset, connections, durationSec: d, headers }),
        );
        dbOffset = Math.min(distinctUsers, dbOffset + result.load.requests + connections);
        return result;
      },
    },
    {
      name: 'l2',
      run: (d) =>
        measured(coldCache, (b, a) => a.l2 - b.l2, () =>
          runLoad({ url: cold.baseUrl, path: `${AGGREGATE_PATH}?userId=rd{n}`, count: Math.max(1, dbOffset - connections), connections, durationSec: d, headers }),
        ),
    },
  ];

  progress(`warm-up: ${warmupSec} s on each target…`);
  for (const target of targets) await target.run(warmupSec);
  const results = new Map<Target['name'], { load: LoadResult; served: number }[]>(targets.map((t) => [t.name, []]));
  for (let r = 1; r <= rounds; r += 1) {
    for (const target of targets) {
      progress(`round ${r}/${rounds}: ${target.name}, ${connections} connections, ${durationSec} s…`);
      results.get(target.name)!.push(await target.run(durationSec));
    }
  }
  if (dbOffset >= distinctUsers) progress(`warning: the summary-table runs wrapped around ${distinctUsers} users; some reads were L2 hits (see tierShare)`);

  // Its connections go back to the shared PostgreSQL now, not at the end of the run.
  await cold.api.shutdown.close('reads done');

  const bareRuns = results.get('bare')!.map((r) => r.load);
  const figures = (name: Target['name']) => {
    const runs = results.get(name)!;
    return {
      rps: round(median(runs.map((r) => r.load.rps)), 0),
      p50Ms: median(runs.map((r) => r.load.p50Ms)),
      p99Ms: median(runs.map((r) => r.load.p99Ms)),
      ratio: round(median(runs.map((r, i) => r.load.rps / bareRuns[i]!.rps)), 3),
      runs,
    };
  };
  const tier = (name: 'l1' | 'l2' | 'db'): ReadTier => {
    const f = figures(name);
    const requests = f.runs.reduce((s, r) => s + r.load.requests, 0);
    const served = f.runs.reduce((s, r) => s + r.served, 0);
    return {
      rps: f.rps,
      p50Ms: f.p50Ms,
      p99Ms: f.p99Ms,
      ratio: f.ratio,
      tierShare: round(requests === 0 ? 0 : Math.min(1, served / requests), 3),
      errors: f.runs.reduce((s, r) => s + r.load.errors + r.load.non2xx, 0),
    };
  };
  const bareFigures = figures('bare');
  const health = figures('health');
  const l1 = tier('l1');
  return {
    connections,
    durationSec,
    rounds,
    bareExpressRps: bareFigures.rps,
    bareExpress: { rps: bareFigures.rps, p50Ms: bareFigures.p50Ms, p99Ms: bareFigures.p99Ms },
    middlewareCeiling: { path: '/health/live', rps: health.rps, p50Ms: health.p50Ms, p99Ms: health.p99Ms, ratio: health.ratio },
    l1,
    l2: tier('l2'),
    db: tier('db'),
    l1P99VsBare: round(l1.p99Ms / Math.max(bareFigures.p99Ms, 1), 2),
  };
}
