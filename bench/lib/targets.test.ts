import type { ScenarioResults } from './results';
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
        db: read(300),
        l1P99VsBare: 1.3,
      },
    };
    const byTarget = Object.fromEntries(evaluateTargets(results).filter((t) => t.scenario === 'reads').map((t) => [t.target, t.met]));
    expect(byTarget).toEqual({
      'L1 ratio ≥ 0.85': true,
      'L2 ratio ≥ 0.6': false,
      'summary-table ratio ≥ 0.3': true,
      'L1 p99 ≤ 1.2 × bare route p99': false,
    });
  });

  it('needs both p99 ≤ 1 s and the 1,000 events/s rate for freshness', () => {
    const base = { targetEventsPerSec: 1_000, seconds: 10, users: 1, probes: 10, pollIntervalMs: 10, p50Ms: 100, p95Ms: 200, maxMs: 900, backlogAtEnd: 0, recomputesPerSec: 100, giveUpMs: 30_000, notVisible: 0, skippedProbes: 0 };
    const met = (achievedEventsPerSec: number, p99Ms: number) =>
      evaluateTargets({ freshness: { ...base, achievedEventsPerSec, p99Ms } }).find((t) => t.target.startsWith('p99'))!.met;
    expect(met(1_000, 900)).toBe(true);
    expect(met(1_000, 1_100)).toBe(false);
    expect(met(600, 300)).toBe(false);
  });

  it('evaluates the 10,000-event recompute point only when it was measured', () => {
    const point = (events: number, p50Ms: number) => ({ events, sessions: 0, p50Ms, minMs: p50Ms, samples: 1, phasesMs: { load: 0, compute: 0, saveAndWriteThrough: 0 } });
    const at10k = (points: ReturnType<typeof point>[]) => evaluateTargets({ recompute: { points, growthExponent: 1 } }).find((t) => t.target.includes('10,000'))!;
    expect(at10k([point(100, 5), point(1_000, 20)]).met).toBeNull();
    expect(at10k([point(100, 5), point(10_000, 40)]).met).toBe(true);
    expect(at10k([point(100, 5), point(10_000, 60)]).met).toBe(false);
  });

  it('requires invalidation to be both fast and 100× faster than SCAN', () => {
    const invalidation = { unrelatedKeys: 1_000_000, entriesPerUser: 15, samples: 10, p50Ms: 0.5, p99Ms: 1.5, scanBaselineMs: 40, scanBaselineSamples: 3, speedup: 80 };
    const outcome = evaluateTargets({ invalidation }).filter((t) => t.scenario === 'invalidation').map((t) => t.met);
    expect(outcome).toEqual([true, false]);
  });
});
