import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { HybridCache } from '@shared/cache/hybrid-cache';
import { recomputeUser } from '@shared/recompute/recompute-user';
import { insertEvents, insertSessions } from '@shared/store/event-store';
import { BENCH_KEYS } from '../lib/bench-system';
import { historyFor } from '../lib/event-factory';
import { requestJson, runLoad } from '../lib/http-load';
import type { LoadResult } from '../lib/load-generator';
import type { ReadsResult, ReadTier } from '../lib/results';
import type { ScenarioContext } from '../lib/scenario';
import { round } from '../lib/stats';
import { seededRandom } from '../lib/zipf';

/**
 * GET /api/analytics/behavioral-insights/dashboard under autocannon (in a child process),
 * per tier, beside a bare Express route that returns the same JSON from a constant, with
 * the same connections:
 * - L1: one user whose entry is in L1 (the main API);
 * - L2 (L1 cold): a second API process-in-process whose L1 holds ONE entry, reading N
 *   distinct users in turn, whose entries are in L2 — every read misses L1;
 * - summary table (both cold): the same second API, under its own cache prefix (nothing
 *   of it in L2), reading N distinct users that have a stored dashboard row, each once.
 * The cache stats of the API under test tell which tier really served (tierShare).
 */
const AGGREGATE_PATH = '/api/analytics/behavioral-insights/dashboard';

async function startBareExpress(body: unknown): Promise<{ server: Server; port: number }> {
  const app = express();
  app.disable('x-powered-by');
  app.get('/bare', (_req, res) => {
    res.json(body);
  });
  const server = createServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, port: (server.address() as AddressInfo).port };
}

function tierOf(load: LoadResult, bareRps: number, served: number): ReadTier {
  return {
    rps: round(load.rps, 0),
    p50Ms: load.p50Ms,
    p99Ms: load.p99Ms,
    ratio: round(load.rps / bareRps, 3),
    tierShare: round(load.requests === 0 ? 0 : Math.min(1, served / load.requests), 3),
    errors: load.errors + load.non2xx,
  };
}

const counts = (cache: HybridCache) => {
  const { stats } = cache.getStats();
  return { l1: stats.l1Hits, l2: stats.redisHits, misses: stats.totalMisses };
};

export async function runReads({ system, quick, progress, cleanup }: ScenarioContext): Promise<ReadsResult> {
  const connections = 32;
  const durationSec = quick ? 4 : 10;
  const distinctUsers = quick ? 20_000 : 60_000;
  const { pool, main } = system;
  const { cache } = main.api.infra;
  const cachePrefix = main.api.config.cachePrefix;
  const headers = { Authorization: `Bearer ${BENCH_KEYS.read}` };

  progress('seeding a user with 300 events and its aggregates…');
  const template = 'reads-template';
  const { events, sessions } = historyFor(seededRandom(7), template, 300, new Date());
  await insertEvents(pool, events);
  await insertSessions(pool, sessions);
  await recomputeUser({ db: { pool }, cache, cachePrefix }, template);
  progress(`copying its dashboard row to ${distinctUsers.toLocaleString('en')} users (rd0…) for the cold tiers…`);
  await pool.query(
    `INSERT INTO aggregate_snapshots (user_id, aggregate, period, data, computed_at)
     SELECT 'rd' || g, aggregate, period, data, computed_at FROM aggregate_snapshots, generate_series(0, $2::int - 1) g
     WHERE user_id = $1 AND aggregate = 'behavioral-insights/dashboard'`,
    [template, distinctUsers],
  );
  await pool.query('ANALYZE aggregate_snapshots');

  const l1Path = `${AGGREGATE_PATH}?userId=${template}`;
  const body = await requestJson<unknown>(`${main.baseUrl}${l1Path}`, { key: BENCH_KEYS.read });
  const bare = await startBareExpress(body);
  cleanup.add('bare Express server', () => new Promise((resolve) => bare.server.close(() => resolve(undefined))).then(() => bare.server.closeAllConnections()));
  const cold = await system.bootExtraApi({ CACHE_L1_MAX_ENTRIES: '1', CACHE_PREFIX: 'benchcold' });
  const coldCache = cold.api.infra.cache;

  const load = (baseUrl: string, path: string, count?: number) => runLoad({ url: baseUrl, path, count, connections, durationSec, headers });

  progress(`bare Express route, ${connections} connections, ${durationSec} s…`);
  const bareLoad = await load(`http://127.0.0.1:${bare.port}`, '/bare');
  const bareRps = bareLoad.rps;

  progress(`L1 hit (one user), ${durationSec} s…`);
  let before = counts(cache);
  const l1Load = await load(main.baseUrl, l1Path);
  const l1 = tierOf(l1Load, bareRps, counts(cache).l1 - before.l1);

  progress(`summary-table read (L1 and L2 cold: ${distinctUsers.toLocaleString('en')} distinct users, fresh prefix), ${durationSec} s…`);
  before = counts(coldCache);
  const dbLoad = await load(cold.baseUrl, `${AGGREGATE_PATH}?userId=rd{n}`, distinctUsers);
  const db = tierOf(dbLoad, bareRps, counts(coldCache).misses - before.misses);

  // The users the summary-table run read now have their entry in L2 (each load fills it).
  const warmUsers = Math.max(1, Math.min(distinctUsers, dbLoad.requests - connections));
  progress(`L2 hit, L1 cold (L1 of one entry, ${warmUsers.toLocaleString('en')} users in turn), ${durationSec} s…`);
  before = counts(coldCache);
  const l2Load = await load(cold.baseUrl, `${AGGREGATE_PATH}?userId=rd{n}`, warmUsers);
  const l2 = tierOf(l2Load, bareRps, counts(coldCache).l2 - before.l2);

  return {
    connections,
    durationSec,
    bareExpressRps: round(bareRps, 0),
    bareExpress: { rps: round(bareRps, 0), p50Ms: bareLoad.p50Ms, p99Ms: bareLoad.p99Ms },
    l1,
    l2,
    db,
    l1P99VsBare: round(l1.p99Ms / Math.max(bareLoad.p99Ms, 1), 2),
  };
}
