import { POLL_MS, ProbedLoad } from '../lib/probed-load';
import { findMaxSustained, stepRates } from '../lib/rate-steps';
import type { FreshnessResult, LoadWindow } from '../lib/results';
import type { ScenarioContext } from '../lib/scenario';

/**
 * How long an event takes to become visible through the API (bench/lib/probed-load.ts),
 * measured three ways over the same 2,000 background and 200 probe users:
 * - quiet: 100 events/s (30 s; 8 s quick), the latency when the pipeline is not busy;
 * - the target: a steady 1,000 events/s for 60 s (10 s quick);
 * - the highest rate sustained: steps of 500, 1,000, 1,500, 2,000, 3,000, 4,000, 6,000 …
 *   events/s (30 s each; quick: 6 s, up to 2,000), drained in between, up to the first
 *   step whose p99 exceeds 1 s or that leaves a probe invisible.
 */
/** 1,000 (the target); BENCH_FRESHNESS_EVENTS_PER_SEC changes it to see the latency at another rate. */
const TARGET_PER_SEC = Number(process.env.BENCH_FRESHNESS_EVENTS_PER_SEC ?? 1_000);
const QUIET_PER_SEC = 100;
const BACKGROUND_USERS = 2_000;
const PROBE_USERS = 200;
/** The step search stops here in a full run if nothing failed before (the publisher shares the bench's event loop long before). */
const MAX_STEP_PER_SEC = 64_000;
const QUICK_MAX_STEP_PER_SEC = 2_000;

export async function runFreshness({ system, quick, progress }: ScenarioContext): Promise<FreshnessResult> {
  // A probe still invisible after this long is counted at this value (a lower bound).
  const giveUpMs = quick ? 5_000 : 30_000;
  const users = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  const load = new ProbedLoad(system, { background: users('fb', BACKGROUND_USERS), probes: users('fp', PROBE_USERS) }, 11);
  const measure = (eventsPerSec: number, seconds: number): Promise<LoadWindow> => {
    progress(`${eventsPerSec.toLocaleString('en')} events/s for ${seconds} s…`);
    return load.run({ eventsPerSec, seconds, giveUpMs }, progress);
  };
  const report = (name: string, w: LoadWindow) =>
    progress(`${name}: ${w.achievedEventsPerSec}/s achieved, p50 ${w.p50Ms} ms, p99 ${w.p99Ms} ms, ${w.notVisible} not visible, backlog at end ${w.backlogAtEnd}`);

  progress(`warm-up: one event for each of ${PROBE_USERS} probe users and ${BACKGROUND_USERS.toLocaleString('en')} users…`);
  await load.warmUp();

  const quiet = await measure(QUIET_PER_SEC, quick ? 8 : 30);
  report('quiet', quiet);
  const main = await measure(TARGET_PER_SEC, quick ? 10 : 60);
  report('target', main);

  const stepSeconds = quick ? 6 : 30;
  const sustained = await findMaxSustained(stepRates(quick ? QUICK_MAX_STEP_PER_SEC : MAX_STEP_PER_SEC), async (eventsPerSec) => {
    const step = await measure(eventsPerSec, stepSeconds);
    report(`step ${eventsPerSec}/s`, step);
    return { eventsPerSec, achievedEventsPerSec: step.achievedEventsPerSec, p99Ms: step.p99Ms, backlogAtEnd: step.backlogAtEnd, notVisible: step.notVisible };
  });
  progress(`highest rate sustained: ${sustained.maxSustainedEventsPerSec}/s (stopped: ${sustained.stoppedBy})`);

  return {
    targetEventsPerSec: TARGET_PER_SEC,
    achievedEventsPerSec: main.achievedEventsPerSec,
    seconds: main.seconds,
    users: load.users,
    probes: main.probes,
    pollIntervalMs: POLL_MS,
    p50Ms: main.p50Ms,
    p95Ms: main.p95Ms,
    p99Ms: main.p99Ms,
    maxMs: main.maxMs,
    backlogAtEnd: main.backlogAtEnd,
    recomputesPerSec: main.recomputesPerSec,
    giveUpMs,
    notVisible: main.notVisible,
    skippedProbes: main.skippedProbes,
    quiet: { eventsPerSec: QUIET_PER_SEC, p50Ms: quiet.p50Ms, p95Ms: quiet.p95Ms, p99Ms: quiet.p99Ms, notVisible: quiet.notVisible, probes: quiet.probes },
    maxSustainedEventsPerSec: sustained.maxSustainedEventsPerSec,
    maxSustainedStoppedBy: sustained.stoppedBy,
    stepSeconds,
    steps: sustained.steps,
  };
}
