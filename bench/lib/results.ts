/** The JSON `pnpm bench` writes (bench/results/latest.json): one key per scenario. */
import type { Machine } from './machine';
import type { RateStep } from './rate-steps';
import type { TargetResult } from './targets';

export interface LatencyMs {
  p50Ms: number;
  p99Ms: number;
}

export interface IngestResult {
  events: number;
  users: number;
  /** Worker processes of the pipeline, and of the no-op ceiling beside it. */
  workerProcesses: number;
  /** Jobs at once per ingest worker (each process). */
  concurrency: number;
  /** End to end through the typed publisher (addBulk of 1,000): enqueued → stored → recomputed. */
  bulk: { eventsPerSec: number; seconds: number };
  /** End to end through POST /api/events (batches of 1,000, several requests in flight). */
  http: { eventsPerSec: number; seconds: number; requests: number; /** Requests answered 503 (queue busy) and sent again after 1 s, as a client would. */ retried503: number };
  /** The same publisher and worker settings with a no-op processor, same run. */
  bullmqNoopPerSec: number;
  /** The no-op ceiling measured before and after the two end-to-end runs (its mean is bullmqNoopPerSec). */
  bullmqNoopRuns: number[];
  ratio: number;
  httpRatio: number;
  recomputes: number;
}

/** One window of the freshness harness (bench/lib/probed-load.ts): a rate held, and how soon its probes became visible. */
export interface LoadWindow {
  eventsPerSec: number;
  achievedEventsPerSec: number;
  seconds: number;
  probes: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Probes still not visible after giveUpMs (counted as giveUpMs in the percentiles). */
  notVisible: number;
  /** Probe slots skipped because 10 probes were still waiting (the pipeline lagging). */
  skippedProbes: number;
  /** Jobs not finished when publishing stopped: more than a second's worth means the pipeline fell behind. */
  backlogAtEnd: number;
  /** Recomputes completed per second during the window. */
  recomputesPerSec: number;
}

/** A window's figures, under the scenario's own name for its rate. */
type WindowFigures = Omit<LoadWindow, 'eventsPerSec'>;

export interface FreshnessResult extends WindowFigures {
  targetEventsPerSec: number;
  users: number;
  pollIntervalMs: number;
  giveUpMs: number;
  /** The same probes at 100 events/s: the latency of a pipeline that is not busy. */
  quiet: { eventsPerSec: number; p50Ms: number; p95Ms: number; p99Ms: number; notVisible: number; probes: number };
  /** The highest step rate whose p99 stayed ≤ 1,000 ms with every probe visible (0: not even the first). */
  maxSustainedEventsPerSec: number;
  /** Why the step search stopped. */
  maxSustainedStoppedBy: string;
  /** Duration of each step. */
  stepSeconds: number;
  steps: RateStep[];
}

/** Freshness for students with long histories (bench/scenarios/freshness-heavy.ts). */
export interface FreshnessHeavyResult extends WindowFigures {
  students: number;
  reviewsPerStudent: number;
  sessionsPerStudent: number;
  probeStudents: number;
  /** Storing the raw rows straight into PostgreSQL. */
  seedSeconds: number;
  /** `pnpm recompute -- --build-rollups` over every student, and its summary line. */
  buildRollups: { seconds: number; studentsPerSec: number; summary: string };
  /** Every student's aggregates once, in batches of 64, two at a time. */
  recomputeAll: { students: number; seconds: number; studentsPerSec: number; cpuMsPerUser: CpuMsPerUser; stepMsPerUser: Record<'load' | 'compute' | 'save' | 'write_through', number> };
  bullmqNoopPerSec: number;
  /** The target rate as a share of the no-op ceiling (0.05: 500 events/s at 10,000 jobs/s). */
  targetShareOfNoop: number;
  targetEventsPerSec: number;
  pollIntervalMs: number;
  /** Busy CPU of the whole machine (every process) during the target window, per event published. */
  machineCpuMsPerEvent: number;
  giveUpMs: number;
  stepSeconds: number;
  maxSustainedEventsPerSec: number;
  maxSustainedStoppedBy: string;
  steps: RateStep[];
}

export interface ReadTier {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  ratio: number;
  /** Share of the requests the cache stats say were served by the intended tier. */
  tierShare: number;
  errors: number;
}

export interface ReadsResult {
  connections: number;
  /** Per round and target; the figures are medians over the rounds. */
  durationSec: number;
  rounds: number;
  bareExpressRps: number;
  bareExpress: { rps: number; p50Ms: number; p99Ms: number };
  /** GET /health/live: the app's middleware alone, the ceiling of any of its routes. */
  middlewareCeiling: { path: string; rps: number; p50Ms: number; p99Ms: number; ratio: number };
  l1: ReadTier;
  l2: ReadTier;
  db: ReadTier;
  /** p99 of an L1 hit divided by the bare route's p99. */
  l1P99VsBare: number;
}

export interface HitRateResult {
  users: number;
  zipfExponent: number;
  readsPerEvent: number;
  warmupReads: number;
  reads: number;
  events: number;
  /** Over the measured reads (after the warm-up), from the cache stats. */
  hitRate: number;
  /** Every read since the cache was cold, warm-up included. */
  hitRateIncludingWarmup: number;
  cacheStatsHitRate: string;
  l1Hits: number;
  l2Hits: number;
  misses: number;
}

export interface InvalidationResult {
  unrelatedKeys: number;
  entriesPerUser: number;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  scanBaselineMs: number;
  scanBaselineSamples: number;
  speedup: number;
}

export interface RecomputePoint {
  events: number;
  sessions: number;
  p50Ms: number;
  minMs: number;
  samples: number;
  phasesMs: { load: number; compute: number; saveAndWriteThrough: number };
}

/** CPU time per recomputed user, by process; null where it could not be read (a PostgreSQL or Redis on another host). */
export interface CpuMsPerUser {
  node: number;
  postgres: number | null;
  redis: number | null;
  /** node + postgres + redis; null if one of them is. */
  total: number | null;
}

/** `recomputeUsers` over typical (100-event) users at one batch size. */
export interface RecomputeBatchRow {
  batchSize: number;
  /** Batches running at once (the workers run 2 per process). */
  inFlight: number;
  users: number;
  seconds: number;
  usersPerSec: number;
  cpuMsPerUser: CpuMsPerUser;
}

export interface RecomputeResult {
  points: RecomputePoint[];
  growthExponent: number;
  /** Users of `batchEvents` events each, recomputed in batches of growing size. */
  batchEvents: number;
  batch: RecomputeBatchRow[];
}

export interface MemoryResult {
  events: number;
  users: number;
  rssBeforeMb: number;
  warmupEvents: number;
  rssAfterWarmupMb: number;
  rssAfterMb: number;
  growthAfterWarmup: number;
  heapUsedAfterMb: number;
  samples: { events: number; rssMb: number }[];
  seconds: number;
}

export interface MicroResult {
  opsPerSec: number;
  p50Ns: number;
}

export interface CacheBenchResult {
  l1Hit: MicroResult;
  tieredGetOrSetHit: MicroResult;
  l2Get: MicroResult;
  anchors: {
    source: string;
    l1Hit: MicroResult;
    l2Get: MicroResult;
  };
}

export interface ScenarioResults {
  ingest?: IngestResult;
  freshness?: FreshnessResult;
  freshnessHeavy?: FreshnessHeavyResult;
  reads?: ReadsResult;
  hitRate?: HitRateResult;
  invalidation?: InvalidationResult;
  recompute?: RecomputeResult;
  memory?: MemoryResult;
  cache?: CacheBenchResult;
}

export type ScenarioKey = keyof ScenarioResults;

/** In the order a full run takes them: freshnessHeavy last, so its 2 million rows weigh on no other scenario. */
export const SCENARIO_KEYS: ScenarioKey[] = ['cache', 'invalidation', 'recompute', 'reads', 'hitRate', 'freshness', 'ingest', 'memory', 'freshnessHeavy'];

export interface BenchReport extends ScenarioResults {
  mode: 'quick' | 'full';
  machine: Machine;
  durationSec: number;
  errors: Partial<Record<ScenarioKey, string>>;
  targets: TargetResult[];
}
