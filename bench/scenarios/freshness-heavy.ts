import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { RECOMPUTE_STEPS, RecomputeFailure, recomputeUsers, type RecomputeStep } from '@shared/recompute/recompute-users';
import { redisServerPid, startCpuMeter } from '../lib/cpu-meter';
import { eventAt, reviewAt } from '../lib/event-factory';
import { storeHeavyStudents } from '../lib/heavy-students';
import { measureNoop } from '../lib/noop-ceiling';
import { POLL_MS, ProbedLoad } from '../lib/probed-load';
import { readMachineBusyMs } from '../lib/process-cpu';
import { findMaxSustained } from '../lib/rate-steps';
import type { CpuMsPerUser, FreshnessHeavyResult } from '../lib/results';
import type { ScenarioContext } from '../lib/scenario';
import { round } from '../lib/stats';
import { seededRandom } from '../lib/zipf';

/**
 * Freshness for students with long histories: 200 students (60 quick) with 10,000 card
 * reviews each over the last 90 days and 250 sessions, stored straight into PostgreSQL as
 * an earlier version would have stored them, their rollups built as a deployment builds them
 * (`pnpm recompute -- --build-rollups`, a child process), every student's aggregates
 * computed once (timed, with the CPU each costs per process and per step). Then new card
 * reviews go through the real ingest path (the typed publisher → BullMQ → ingest worker →
 * recompute) to random students, while 40 other heavy students are probed through the API
 * as in `freshness` (bench/lib/probed-load.ts): the target rate is 5 % of the BullMQ no-op
 * ceiling measured in this run (500 events/s where the ceiling is 10,000 jobs/s), then steps
 * from 2 % of the ceiling up to the first that does not hold.
 */
const STUDENTS = 200;
const QUICK_STUDENTS = 60;
const PROBE_STUDENTS = 40;
const QUICK_PROBE_STUDENTS = 20;
const REVIEWS = 10_000;
const SESSIONS = 250;
export const HEAVY_TARGET_SHARE_OF_NOOP = 0.05;
const STEP_SHARES = [0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3];
const QUICK_STEP_SHARES = [0.03, 0.05, 0.075, 0.1];
const BATCH = 64;

/** The build step a deployment runs, as a child process on the bench's database; resolves with its summary line. */
function buildRollups(env: Record<string, string>): Promise<string> {
  const root = resolve(__dirname, '..', '..');
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(root, 'scripts/recompute.ts'), '--build-rollups', '--concurrency', '4'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-2_000)));
  return new Promise((done, fail) => {
    child.once('exit', (code) => (code === 0 ? done(out.trim().split('\n').at(-1) ?? '') : fail(new Error(`pnpm recompute -- --build-rollups exited ${code}: ${out}${err}`))));
  });
}

/** Every student's aggregates once, in batches of 64 two at a time as a worker process runs them: users/s, CPU per user by process, time per user by step. */
async function recomputeEveryone(system: ScenarioContext['system'], userIds: string[]): Promise<FreshnessHeavyResult['recomputeAll']> {
  const stepMs: Record<RecomputeStep, number> = { load: 0, compute: 0, save: 0, write_through: 0 };
  const timeStep = (step: RecomputeStep) => {
    const start = performance.now();
    return () => void (stepMs[step] += performance.now() - start);
  };
  const deps = { db: { pool: system.pool }, cache: system.writer, cachePrefix: system.main.api.config.cachePrefix, timeStep };
  const meter = await startCpuMeter({ pool: system.pool, redisPid: await redisServerPid(system.infra.redis) });
  const start = performance.now();
  let next = 0;
  await Promise.all(
    [0, 1].map(async () => {
      while (next < userIds.length) {
        const batch = userIds.slice(next, (next += BATCH));
        const failed = [...(await recomputeUsers(deps, batch)).values()].find((r) => r instanceof RecomputeFailure);
        if (failed) throw failed.error;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1_000;
  const cpu = await meter.stop();
  const per = (ms: number | null) => (ms === null ? null : round(ms / userIds.length, 3));
  const cpuMsPerUser: CpuMsPerUser = {
    node: per(cpu.node)!,
    postgres: per(cpu.postgres),
    redis: per(cpu.redis),
    total: cpu.postgres === null || cpu.redis === null ? null : per(cpu.node + cpu.postgres + cpu.redis),
  };
  const stepMsPerUser = Object.fromEntries(RECOMPUTE_STEPS.map((step) => [step, round(stepMs[step] / userIds.length, 3)])) as Record<RecomputeStep, number>;
  return { students: userIds.length, seconds: round(seconds, 2), studentsPerSec: round(userIds.length / seconds, 1), cpuMsPerUser, stepMsPerUser };
}

export async function runFreshnessHeavy({ system, quick, progress, cleanup }: ScenarioContext): Promise<FreshnessHeavyResult> {
  const students = quick ? QUICK_STUDENTS : STUDENTS;
  const probes = quick ? QUICK_PROBE_STUDENTS : PROBE_STUDENTS;
  const giveUpMs = quick ? 5_000 : 30_000;

  progress(`storing ${students} students × ${REVIEWS.toLocaleString('en')} card reviews and ${SESSIONS} sessions over 90 days, straight into PostgreSQL…`);
  const seeded = await storeHeavyStudents(system.pool, { prefix: 'fh', students, reviews: REVIEWS, sessions: SESSIONS, now: new Date() });
  progress(`stored ${seeded.rows.toLocaleString('en')} rows in ${seeded.seconds.toFixed(1)} s; building their rollups (pnpm recompute -- --build-rollups)…`);
  const buildStart = performance.now();
  const buildSummary = await buildRollups(system.env);
  const buildSeconds = (performance.now() - buildStart) / 1_000;
  progress(buildSummary);
  // What autovacuum does within a minute or so of the build: statistics, and the visibility map the index-only scans use.
  await system.pool.query('VACUUM (ANALYZE) card_review_days, card_review_weeks, objective_latest_reviews, activity_days');

  progress(`every student's aggregates once (batches of ${BATCH}, two at a time)…`);
  const recomputeAll = await recomputeEveryone(system, seeded.userIds);
  progress(`${recomputeAll.studentsPerSec} students/s; CPU ms per student ${JSON.stringify(recomputeAll.cpuMsPerUser)}; ms per student by step ${JSON.stringify(recomputeAll.stepMsPerUser)}`);

  progress('BullMQ no-op ceiling (the target rate is a share of it)…');
  const random = seededRandom(23);
  const noopEvents = Array.from({ length: quick ? 10_000 : 20_000 }, (_, i) => eventAt(random, `fhn${i % 1_000}`, new Date()));
  const noop = await measureNoop(system, cleanup, noopEvents, 1_000);
  const rateOf = (share: number) => Math.max(1, Math.round(share * noop));
  const target = rateOf(HEAVY_TARGET_SHARE_OF_NOOP);
  progress(`no-op ${Math.round(noop).toLocaleString('en')} jobs/s: target ${target} events/s (${HEAVY_TARGET_SHARE_OF_NOOP * 100} % of it)`);

  const load = new ProbedLoad(system, { background: seeded.userIds.slice(probes), probes: seeded.userIds.slice(0, probes), eventFor: reviewAt }, 17);
  progress(`warm-up: one card review for each student, then ${quick ? 5 : 10} s at the target rate (JIT, each connection's plans)…`);
  await load.warmUp();
  await load.run({ eventsPerSec: target, seconds: quick ? 5 : 10, giveUpMs }, progress);

  progress(`${target} events/s for ${quick ? 10 : 60} s…`);
  const busyBefore = readMachineBusyMs();
  const main = await load.run({ eventsPerSec: target, seconds: quick ? 10 : 60, giveUpMs }, progress);
  const busyMs = readMachineBusyMs() - busyBefore;
  progress(`target: ${main.achievedEventsPerSec}/s achieved, p50 ${main.p50Ms} ms, p95 ${main.p95Ms} ms, p99 ${main.p99Ms} ms, ${main.notVisible} not visible, backlog at end ${main.backlogAtEnd}`);

  const stepSeconds = quick ? 6 : 30;
  const sustained = await findMaxSustained(
    (quick ? QUICK_STEP_SHARES : STEP_SHARES).map(rateOf),
    async (eventsPerSec) => {
      progress(`step ${eventsPerSec} events/s for ${stepSeconds} s…`);
      const step = await load.run({ eventsPerSec, seconds: stepSeconds, giveUpMs }, progress);
      progress(`step ${eventsPerSec}/s: p99 ${step.p99Ms} ms, ${step.notVisible} not visible, backlog ${step.backlogAtEnd}`);
      return { eventsPerSec, achievedEventsPerSec: step.achievedEventsPerSec, p99Ms: step.p99Ms, backlogAtEnd: step.backlogAtEnd, notVisible: step.notVisible };
    },
  );
  progress(`highest rate held: ${sustained.maxSustainedEventsPerSec}/s (stopped: ${sustained.stoppedBy})`);

  return {
    students,
    reviewsPerStudent: REVIEWS,
    sessionsPerStudent: SESSIONS,
    probeStudents: probes,
    seedSeconds: round(seeded.seconds, 1),
    buildRollups: { seconds: round(buildSeconds, 1), studentsPerSec: round(students / buildSeconds, 1), summary: buildSummary },
    recomputeAll,
    bullmqNoopPerSec: round(noop, 0),
    targetShareOfNoop: HEAVY_TARGET_SHARE_OF_NOOP,
    targetEventsPerSec: target,
    achievedEventsPerSec: main.achievedEventsPerSec,
    seconds: main.seconds,
    pollIntervalMs: POLL_MS,
    probes: main.probes,
    p50Ms: main.p50Ms,
    p95Ms: main.p95Ms,
    p99Ms: main.p99Ms,
    maxMs: main.maxMs,
    notVisible: main.notVisible,
    skippedProbes: main.skippedProbes,
    backlogAtEnd: main.backlogAtEnd,
    recomputesPerSec: main.recomputesPerSec,
    machineCpuMsPerEvent: round(busyMs / Math.max(1, main.achievedEventsPerSec * main.seconds), 3),
    giveUpMs,
    stepSeconds,
    maxSustainedEventsPerSec: sustained.maxSustainedEventsPerSec,
    maxSustainedStoppedBy: sustained.stoppedBy,
    steps: sustained.steps,
  };
}
