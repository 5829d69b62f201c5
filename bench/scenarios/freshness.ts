import { BENCH_KEYS } from '../lib/bench-system';
import { recomputesDone } from '../lib/pipeline-metrics';
import { eventAt } from '../lib/event-factory';
import { requestJson } from '../lib/http-load';
import type { FreshnessResult } from '../lib/results';
import type { ScenarioContext } from '../lib/scenario';
import { round, summarize } from '../lib/stats';
import { seededRandom } from '../lib/zipf';

/**
 * A steady 1,000 events/s from 2,000 users (ten events every 10 ms through the typed
 * publisher). Twenty times a second one of those events goes to a probe user, who gets
 * no other events: from just before its publish, the bench polls the dashboard of that
 * user through the API every 10 ms (every 100 ms after the first second; at most 10 probes
 * at once, a probe slot is skipped when 10 are waiting) until `totals.events` counts it. The latency
 * includes the 100 ms recompute debounce and up to one poll interval. A probe not visible
 * after 30 s (5 s in quick mode) is counted at that value, so an overloaded pipeline shows
 * as huge percentiles and a backlog rather than a crash.
 */
/** 1,000 (the target); BENCH_FRESHNESS_EVENTS_PER_SEC lowers it to see the latency at a rate the machine sustains. */
const TARGET_PER_SEC = Number(process.env.BENCH_FRESHNESS_EVENTS_PER_SEC ?? 1_000);
const TICK_MS = 10;
const PROBES_PER_SEC = 20;
const POLL_MS = 10;
/** At most this many probes poll at once, and a probe older than 1 s polls every 100 ms:
 * the harness shares the process with the pipeline and must not starve it when it lags. */
const MAX_PROBES_IN_FLIGHT = 10;
const SLOW_POLL_AFTER_MS = 1_000;
const SLOW_POLL_MS = 100;
const BACKGROUND_USERS = 2_000;
const PROBE_USERS = 200;

interface Dashboard {
  data: { totals: { events: number } };
}

export async function runFreshness({ system, quick, progress }: ScenarioContext): Promise<FreshnessResult> {
  const seconds = quick ? 10 : 60;
  // A probe still invisible after this long is counted at this value (a lower bound).
  const GIVE_UP_MS = quick ? 5_000 : 30_000;
  const random = seededRandom(11);
  const { publisher, main } = system;
  const dashboard = (userId: string) => `${main.baseUrl}/api/analytics/behavioral-insights/dashboard?userId=${userId}`;
  const probeCounts = new Map<string, number>();
  const busyProbes = new Set<string>();

  progress(`warm-up: one event for each of ${PROBE_USERS} probe users and ${BACKGROUND_USERS.toLocaleString('en')} users…`);
  const warm = [
    ...Array.from({ length: PROBE_USERS }, (_, i) => eventAt(random, `fp${i}`, new Date())),
    ...Array.from({ length: BACKGROUND_USERS }, (_, i) => eventAt(random, `fb${i}`, new Date())),
  ];
  for (let i = 0; i < warm.length; i += 1_000) await publisher.publishEvents(warm.slice(i, i + 1_000));
  for (let i = 0; i < PROBE_USERS; i += 1) probeCounts.set(`fp${i}`, 1);
  await system.waitForIdle();
  await Promise.all([...probeCounts.keys()].map((u) => requestJson<Dashboard>(dashboard(u), { key: BENCH_KEYS.read })));

  const latencies: number[] = [];
  let notVisible = 0;
  let skippedProbes = 0;
  const probes: Promise<void>[] = [];
  const probe = async (userId: string, expected: number, publishedAt: number) => {
    try {
      for (;;) {
        const body = await requestJson<Dashboard>(dashboard(userId), { key: BENCH_KEYS.read });
        if (body.data.totals.events >= expected) {
          latencies.push(performance.now() - publishedAt);
          return;
        }
        if (performance.now() - publishedAt > GIVE_UP_MS) {
          // Counted at the give-up time (a lower bound), so an overloaded run reports huge percentiles instead of failing.
          notVisible += 1;
          latencies.push(performance.now() - publishedAt);
          return;
        }
        await new Promise((r) => setTimeout(r, performance.now() - publishedAt > SLOW_POLL_AFTER_MS ? SLOW_POLL_MS : POLL_MS));
      }
    } finally {
      busyProbes.delete(userId);
    }
  };

  progress(`${TARGET_PER_SEC.toLocaleString('en')} events/s for ${seconds} s, ${PROBES_PER_SEC} probes/s…`);
  const perTick = Math.max(1, Math.round((TARGET_PER_SEC * TICK_MS) / 1_000));
  const probeEvery = Math.round(1_000 / PROBES_PER_SEC / TICK_MS);
  const recomputesAtStart = await recomputesDone(system);
  const start = performance.now();
  let published = 0;
  let tick = 0;
  const publishes: Promise<unknown>[] = [];
  while (performance.now() - start < seconds * 1_000) {
    const due = start + tick * TICK_MS;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const batch = Array.from({ length: perTick }, () => eventAt(random, `fb${Math.floor(random() * BACKGROUND_USERS)}`, new Date()));
    let probeUser: string | undefined;
    if (tick % probeEvery === 0) {
      probeUser = busyProbes.size < MAX_PROBES_IN_FLIGHT ? [...probeCounts.keys()].find((u) => !busyProbes.has(u)) : undefined;
      if (!probeUser) skippedProbes += 1;
      if (probeUser) {
        busyProbes.add(probeUser);
        batch[0] = eventAt(random, probeUser, new Date());
      }
    }
    const publishedAt = performance.now();
    const sent = publisher.publishEvents(batch);
    publishes.push(sent);
    if (probeUser) {
      const expected = probeCounts.get(probeUser)! + 1;
      probeCounts.set(probeUser, expected);
      const user = probeUser;
      probes.push(sent.then(() => probe(user, expected, publishedAt)));
    }
    published += batch.length;
    tick += 1;
    if (tick % (1_000 / TICK_MS) === 0 && tick % (5_000 / TICK_MS) === 0) progress(`${((performance.now() - start) / 1000).toFixed(0)} s: ${published.toLocaleString('en')} events, ${latencies.length} probes seen`);
  }
  const elapsed = (performance.now() - start) / 1_000;
  const recomputesInWindow = (await recomputesDone(system)) - recomputesAtStart;
  await Promise.all(publishes);
  const backlogAtEnd = await system.backlog();
  await Promise.all(probes);
  progress('waiting for the pipeline to drain…');
  await system.waitForIdle();

  const stats = summarize(latencies);
  return {
    targetEventsPerSec: TARGET_PER_SEC,
    achievedEventsPerSec: round(published / elapsed, 0),
    seconds: round(elapsed, 1),
    users: BACKGROUND_USERS + PROBE_USERS,
    probes: latencies.length,
    pollIntervalMs: POLL_MS,
    p50Ms: round(stats.p50, 1),
    p95Ms: round(stats.p95, 1),
    p99Ms: round(stats.p99, 1),
    maxMs: round(stats.max, 1),
    backlogAtEnd,
    recomputesPerSec: round(recomputesInWindow / elapsed, 0),
    giveUpMs: GIVE_UP_MS,
    notVisible,
    skippedProbes,
  };
}
