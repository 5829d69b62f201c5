import type { FreshnessHeavyResult, FreshnessResult, ScenarioResults } from './results';
import { evaluateTargets } from './targets';

const read = (rps: number, p99Ms = 10) => ({ rps, p50Ms: 1, p99Ms, ratio: rps / 1_000, tierShare: 1, errors: 0 });

describe('evaluateTargets', () => {
  it('marks every target not measured when no scenario ran', () => {
    const targets = evaluateTargets({});
    expect(targets.length).toBeGreaterThan(10);
    expect(targets.every((t) => t.met === null && t.actual === 'not measured')).toBe(true);
  });

  it('judges each read tier against its own threshold', () => {
    const results: ScenarioResults = {
      reads: {
        connections: 32,
        durationSec: 1,
        rounds: 1,
        bareExpressRps: 1_000,
        middlewareCeiling: { path: '/health/live', rps: 500, p50Ms: 1, p99Ms: 2, ratio: 0.5 },
        bareExpress: { rps: 1_000, p50Ms: 1, p99Ms: 10 },
        l1: read(900),
        l2: read(500),
        db: read(350),
        l1P99VsBare: 1.3,
      },
    };
    const byTarget = Object.fromEntries(evaluateTargets(results).filter((t) => t.scenario === 'reads').map((t) => [t.target, t.met]));
    expect(byTarget).toEqual({
      'L1 ratio ≥ 0.9': true,
      'L2 ratio ≥ 0.7': false,
      'summary-table ratio ≥ 0.35': true,
      'L1 p99 ≤ 1.1 × bare route p99': false,
    });
  });

  const freshness = (overrides: Partial<FreshnessResult> = {}): FreshnessResult => ({
    targetEventsPerSec: 1_000,
    achievedEventsPerSec: 1_000,
    seconds: 10,
    users: 1,
    probes: 10,
    pollIntervalMs: 10,
    p50Ms: 100,
    p95Ms: 200,
    p99Ms: 300,
    maxMs: 900,
    backlogAtEnd: 0,
    recomputesPerSec: 100,
    giveUpMs: 30_000,
    notVisible: 0,
    skippedProbes: 0,
    quiet: { eventsPerSec: 100, p50Ms: 120, p95Ms: 150, p99Ms: 200, notVisible: 0, probes: 100 },
    maxSustainedEventsPerSec: 1_500,
    maxSustainedStoppedBy: 'p99',
    stepSeconds: 30,
    steps: [],
    ...overrides,
  });
  const freshnessMet = (overrides: Partial<FreshnessResult>) => Object.fromEntries(evaluateTargets({ freshness: freshness(overrides) }).filter((t) => t.scenario === 'freshness').map((t) => [t.target, t.met]));

  it('needs both p99 ≤ 1 s and the 1,000 events/s rate for freshness', () => {
    const met = (achievedEventsPerSec: number, p99Ms: number) => freshnessMet({ achievedEventsPerSec, p99Ms })['p99 ≤ 1,000 ms at 1,000 events/s'];
    expect(met(1_000, 900)).toBe(true);
    expect(met(1_000, 1_100)).toBe(false);
    expect(met(600, 300)).toBe(false);
  });

  it('meets every freshness target of a healthy run, and misses each on its own figure', () => {
    expect(Object.values(freshnessMet({})).every((met) => met === true)).toBe(true);
    expect(freshnessMet({ p95Ms: 601 })['p95 ≤ 600 ms at 1,000 events/s']).toBe(false);
    expect(freshnessMet({ notVisible: 1 })['every probe visible at 1,000 events/s']).toBe(false);
    expect(freshnessMet({ backlogAtEnd: 1_000 })['backlog at end ≤ 1 s of events at 1,000 events/s']).toBe(true);
    expect(freshnessMet({ backlogAtEnd: 1_001 })['backlog at end ≤ 1 s of events at 1,000 events/s']).toBe(false);
    expect(freshnessMet({ quiet: { ...freshness().quiet, p99Ms: 301 } })['p99 ≤ 300 ms at 100 events/s (quiet)']).toBe(false);
    expect(freshnessMet({ maxSustainedEventsPerSec: 500 })['max sustained rate ≥ 1,000 events/s (informative)']).toBe(false);
  });

  const point = (events: number, p50Ms: number) => ({ events, sessions: 0, p50Ms, minMs: p50Ms, samples: 1, phasesMs: { load: 0, compute: 0, saveAndWriteThrough: 0 } });

  it('judges the CPU per user of batches of 64 (one in flight), when every process was measured', () => {
    const row = (batchSize: number, inFlight: number, total: number | null) => ({
      batchSize,
      inFlight,
      users: 100,
      seconds: 1,
      usersPerSec: 100,
      cpuMsPerUser: { node: 1, postgres: total === null ? null : 0.5, redis: 0.1, total },
    });
    const cpuTarget = (batch: ReturnType<typeof row>[]) =>
      evaluateTargets({ recompute: { points: [point(100, 5)], growthExponent: 1, batchEvents: 100, batch } }).find((t) => t.target.startsWith('batches of 64'))!.met;
    expect(cpuTarget([row(16, 1, 5), row(64, 1, 1.6), row(64, 2, 9)])).toBe(true);
    expect(cpuTarget([row(64, 1, 2.5)])).toBe(false);
    expect(cpuTarget([row(64, 1, null)])).toBeNull();
    expect(cpuTarget([])).toBeNull();
  });

  it('evaluates the 10,000-event recompute point only when it was measured', () => {
    const at10k = (points: ReturnType<typeof point>[]) =>
      evaluateTargets({ recompute: { points, growthExponent: 1, batchEvents: 100, batch: [] } }).find((t) => t.target === '≤ 50 ms at 10,000 events')!;
    expect(at10k([point(100, 5), point(1_000, 20)]).met).toBeNull();
    expect(at10k([point(100, 5), point(10_000, 40)]).met).toBe(true);
    expect(at10k([point(100, 5), point(10_000, 60)]).met).toBe(false);
  });

  it('compares the 10,000- and 100,000-event recompute points with the 100-event one (2× and 3×)', () => {
    const ratios = (points: ReturnType<typeof point>[]) =>
      evaluateTargets({ recompute: { points, growthExponent: 1, batchEvents: 100, batch: [] } })
        .filter((t) => t.target.includes('the 100-event time'))
        .map((t) => t.met);
    expect(ratios([point(100, 5), point(10_000, 10), point(100_000, 15)])).toEqual([true, true]);
    expect(ratios([point(100, 5), point(10_000, 10.5), point(100_000, 15.5)])).toEqual([false, false]);
    expect(ratios([point(10_000, 10)])).toEqual([null, null]);
  });

  it('judges the long histories at their share of the no-op ceiling', () => {
    const heavy = (overrides: Partial<FreshnessHeavyResult>): ScenarioResults => ({
      freshnessHeavy: {
        students: 200, reviewsPerStudent: 10_000, sessionsPerStudent: 250, probeStudents: 40, seedSeconds: 1,
        buildRollups: { seconds: 1, studentsPerSec: 200, summary: '' },
        recomputeAll: { students: 200, seconds: 1, studentsPerSec: 200, cpuMsPerUser: { node: 1, postgres: 1, redis: 0, total: 2 }, stepMsPerUser: { load: 1, compute: 1, save: 1, write_through: 1 } },
        bullmqNoopPerSec: 4_000, targetShareOfNoop: 0.05, targetEventsPerSec: 200, achievedEventsPerSec: 200, seconds: 60, pollIntervalMs: 10, probes: 100,
        p50Ms: 200, p95Ms: 500, p99Ms: 900, maxMs: 950, notVisible: 0, skippedProbes: 0, backlogAtEnd: 150, recomputesPerSec: 180, machineCpuMsPerEvent: 5,
        giveUpMs: 30_000, stepSeconds: 30, maxSustainedEventsPerSec: 300, maxSustainedStoppedBy: '', steps: [],
        ...overrides,
      },
    });
    const outcome = (results: ScenarioResults) => evaluateTargets(results).filter((t) => t.scenario === 'freshnessHeavy').map((t) => t.met);
    expect(outcome(heavy({}))).toEqual([true, true, true, true, true]);
    expect(outcome(heavy({ p99Ms: 1_001, p95Ms: 601, notVisible: 1, backlogAtEnd: 201, maxSustainedEventsPerSec: 100 }))).toEqual([false, false, false, false, false]);
    // a publisher that could not offer the rate has not shown the pipeline holds it
    expect(outcome(heavy({ achievedEventsPerSec: 180 }))[0]).toBe(false);
  });

  it('requires invalidation to be both fast and 100× faster than SCAN', () => {
    const invalidation = { unrelatedKeys: 1_000_000, entriesPerUser: 15, samples: 10, p50Ms: 0.5, p99Ms: 1.5, scanBaselineMs: 40, scanBaselineSamples: 3, speedup: 80 };
    const outcome = evaluateTargets({ invalidation }).filter((t) => t.scenario === 'invalidation').map((t) => t.met);
    expect(outcome).toEqual([true, false]);
  });
});
