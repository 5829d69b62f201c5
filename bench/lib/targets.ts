import type { ScenarioKey, ScenarioResults } from './results';

/**
 * The targets of the benchmark (and bentocache's published anchors for the cache), evaluated from the figures of one
 * run. `met` is null when the scenario did not run or the figure could not be measured.
 */
export interface TargetResult {
  scenario: ScenarioKey;
  target: string;
  actual: string;
  met: boolean | null;
}

interface Rule {
  scenario: ScenarioKey;
  target: string;
  evaluate(results: ScenarioResults): { actual: string; met: boolean } | null | undefined;
}

const fmt = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : String(value));
const check = (actual: string, met: boolean) => ({ actual, met });

/** A recompute point's time over the 100-event point's, against `limit`; null when either was not measured. */
function pointRatio(recompute: ScenarioResults['recompute'], events: number, limit: number) {
  const base = recompute?.points.find((p) => p.events === 100);
  const point = recompute?.points.find((p) => p.events === events);
  if (!base || !point) return null;
  const ratio = point.p50Ms / base.p50Ms;
  return check(`${fmt(ratio)}× (${fmt(point.p50Ms, 1)} / ${fmt(base.p50Ms, 1)} ms)`, ratio <= limit);
}

export const RULES: Rule[] = [
  {
    scenario: 'ingest',
    target: 'ratio (bulk publisher e2e / BullMQ no-op) ≥ 0.5',
    evaluate: ({ ingest }) => ingest && check(fmt(ingest.ratio), ingest.ratio >= 0.5),
  },
  {
    scenario: 'ingest',
    target: 'httpRatio (POST /api/events e2e / BullMQ no-op) ≥ 0.5',
    evaluate: ({ ingest }) => ingest && check(fmt(ingest.httpRatio), ingest.httpRatio >= 0.5),
  },
  {
    scenario: 'freshness',
    target: 'p99 ≤ 1,000 ms at 1,000 events/s',
    evaluate: ({ freshness }) =>
      freshness && check(`${fmt(freshness.p99Ms, 0)} ms at ${fmt(freshness.achievedEventsPerSec, 0)}/s`, freshness.p99Ms <= 1_000 && freshness.achievedEventsPerSec >= 950),
  },
  {
    scenario: 'freshness',
    target: 'p95 ≤ 600 ms at 1,000 events/s',
    evaluate: ({ freshness }) => freshness && check(`${fmt(freshness.p95Ms, 0)} ms`, freshness.p95Ms <= 600),
  },
  {
    scenario: 'freshness',
    target: 'every probe visible at 1,000 events/s',
    evaluate: ({ freshness }) => freshness && check(`${freshness.notVisible} of ${freshness.probes} not visible`, freshness.notVisible === 0),
  },
  {
    scenario: 'freshness',
    target: 'backlog at end ≤ 1 s of events at 1,000 events/s',
    evaluate: ({ freshness }) =>
      freshness && check(`${freshness.backlogAtEnd} jobs (1 s = ${fmt(freshness.achievedEventsPerSec, 0)})`, freshness.backlogAtEnd <= freshness.achievedEventsPerSec),
  },
  {
    scenario: 'freshness',
    target: 'p99 ≤ 300 ms at 100 events/s (quiet)',
    evaluate: ({ freshness }) => freshness && check(`${fmt(freshness.quiet.p99Ms, 0)} ms`, freshness.quiet.p99Ms <= 300),
  },
  {
    scenario: 'freshness',
    target: 'max sustained rate ≥ 1,000 events/s (informative)',
    evaluate: ({ freshness }) => freshness && check(`${fmt(freshness.maxSustainedEventsPerSec, 0)}/s`, freshness.maxSustainedEventsPerSec >= 1_000),
  },
  {
    scenario: 'freshnessHeavy',
    target: 'p99 ≤ 1,000 ms at 5 % of the no-op ceiling (500 events/s at a 10k jobs/s ceiling)',
    evaluate: ({ freshnessHeavy: h }) =>
      h && check(`${fmt(h.p99Ms, 0)} ms at ${fmt(h.achievedEventsPerSec, 0)}/s (no-op ${fmt(h.bullmqNoopPerSec, 0)}/s)`, h.p99Ms <= 1_000 && h.achievedEventsPerSec >= 0.95 * h.targetEventsPerSec),
  },
  {
    scenario: 'freshnessHeavy',
    target: 'p95 ≤ 600 ms at the same rate',
    evaluate: ({ freshnessHeavy: h }) => h && check(`${fmt(h.p95Ms, 0)} ms`, h.p95Ms <= 600),
  },
  {
    scenario: 'freshnessHeavy',
    target: 'every probe visible',
    evaluate: ({ freshnessHeavy: h }) => h && check(`${h.notVisible} of ${h.probes} not visible`, h.notVisible === 0),
  },
  {
    scenario: 'freshnessHeavy',
    target: 'backlog at end ≤ 1 s of events',
    evaluate: ({ freshnessHeavy: h }) => h && check(`${h.backlogAtEnd} jobs (1 s = ${fmt(h.achievedEventsPerSec, 0)})`, h.backlogAtEnd <= h.achievedEventsPerSec),
  },
  {
    scenario: 'freshnessHeavy',
    target: 'highest rate held ≥ the target (informative)',
    evaluate: ({ freshnessHeavy: h }) => h && check(`${fmt(h.maxSustainedEventsPerSec, 0)}/s (${fmt(h.maxSustainedEventsPerSec / h.bullmqNoopPerSec, 3)} × no-op)`, h.maxSustainedEventsPerSec >= h.targetEventsPerSec),
  },
  {
    scenario: 'reads',
    target: 'L1 ratio ≥ 0.9',
    evaluate: ({ reads }) => reads && check(fmt(reads.l1.ratio), reads.l1.ratio >= 0.9),
  },
  {
    scenario: 'reads',
    target: 'L2 ratio ≥ 0.7',
    evaluate: ({ reads }) => reads && check(fmt(reads.l2.ratio), reads.l2.ratio >= 0.7),
  },
  {
    scenario: 'reads',
    target: 'summary-table ratio ≥ 0.35',
    evaluate: ({ reads }) => reads && check(fmt(reads.db.ratio), reads.db.ratio >= 0.35),
  },
  {
    scenario: 'reads',
    target: 'L1 p99 ≤ 1.1 × bare route p99',
    evaluate: ({ reads }) => reads && check(`${fmt(reads.l1P99VsBare)}×`, reads.l1P99VsBare <= 1.1),
  },
  {
    scenario: 'hitRate',
    target: 'hit rate ≥ 95 %',
    evaluate: ({ hitRate }) => hitRate && check(`${fmt(hitRate.hitRate * 100)} %`, hitRate.hitRate >= 0.95),
  },
  {
    scenario: 'invalidation',
    target: 'p99 ≤ 2 ms with 1M unrelated keys',
    evaluate: ({ invalidation }) => invalidation && check(`${fmt(invalidation.p99Ms, 3)} ms`, invalidation.p99Ms <= 2),
  },
  {
    scenario: 'invalidation',
    target: '≥ 100× faster than SCAN+DEL',
    evaluate: ({ invalidation }) => invalidation && check(`${fmt(invalidation.speedup, 0)}×`, invalidation.speedup >= 100),
  },
  {
    scenario: 'recompute',
    target: 'grows no faster than history (exponent ≤ 1)',
    evaluate: ({ recompute }) =>
      recompute && Number.isFinite(recompute.growthExponent) ? check(fmt(recompute.growthExponent), recompute.growthExponent <= 1.05) : null,
  },
  {
    scenario: 'recompute',
    target: '≤ 50 ms at 10,000 events',
    evaluate: ({ recompute }) => {
      const point = recompute?.points.find((p) => p.events === 10_000);
      return point ? check(`${fmt(point.p50Ms, 1)} ms`, point.p50Ms <= 50) : null;
    },
  },
  {
    scenario: 'recompute',
    target: '10,000 events ≤ 2 × the 100-event time',
    evaluate: ({ recompute }) => pointRatio(recompute, 10_000, 2),
  },
  {
    scenario: 'recompute',
    target: '100,000 events ≤ 3 × the 100-event time',
    evaluate: ({ recompute }) => pointRatio(recompute, 100_000, 3),
  },
  {
    scenario: 'recompute',
    target: 'batches of 64: CPU ≤ 2 ms per user, all processes (informative)',
    evaluate: ({ recompute }) => {
      const total = recompute?.batch.find((row) => row.batchSize === 64 && row.inFlight === 1)?.cpuMsPerUser.total;
      return typeof total === 'number' ? check(`${fmt(total)} ms`, total <= 2) : null;
    },
  },
  {
    scenario: 'memory',
    target: 'RSS flat (≤ +10 %) after warm-up',
    evaluate: ({ memory }) => memory && check(`${fmt(memory.growthAfterWarmup * 100, 1)} %`, memory.growthAfterWarmup <= 0.1),
  },
  {
    scenario: 'cache',
    target: 'L1 hit ≥ bentocache anchor 3.3M ops/s (theirs: faster machine)',
    evaluate: ({ cache }) => cache && check(`${fmt(cache.l1Hit.opsPerSec / 1e6)}M ops/s`, cache.l1Hit.opsPerSec >= cache.anchors.l1Hit.opsPerSec),
  },
  {
    scenario: 'cache',
    target: 'L2 get ≥ bentocache anchor 12K ops/s (theirs: faster machine)',
    evaluate: ({ cache }) => cache && check(`${fmt(cache.l2Get.opsPerSec / 1e3, 1)}K ops/s`, cache.l2Get.opsPerSec >= cache.anchors.l2Get.opsPerSec),
  },
];

export function evaluateTargets(results: ScenarioResults, rules: Rule[] = RULES): TargetResult[] {
  return rules.map((rule) => {
    const outcome = rule.evaluate(results) ?? null;
    return { scenario: rule.scenario, target: rule.target, actual: outcome?.actual ?? 'not measured', met: outcome?.met ?? null };
  });
}
