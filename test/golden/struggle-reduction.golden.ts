import type { ReductionSummary, StruggleReduction } from '@shared/aggregates/aggregate-schemas';
import type { InterventionType } from '@shared/contracts/behavioral-event';
import { interventionApplied, review, type ByPeriod, type GoldenCase } from './rows';

/**
 * SPEC 5.8 `struggle-reduction`: for each intervention_applied at instant t in the period
 * (the period filters interventions only) that names an objective:
 *   before = share of incorrect reviews of that objective with t − 14 d < occurredAt < t
 *   after  = the same with t < occurredAt < t + 14 d and ≤ now
 * kept only with ≥ 3 reviews on each side; byType and overall average the kept ones, and
 * reductionPercent = (before − after) / before × 100 (null when before is 0).
 * now = 2026-03-18 12:00 UTC, now − 7 d = 2026-03-11T12:00Z.
 * The SPEC lists {eventId, interventionType, objectiveId, before, after} per intervention and
 * no order; the implementation adds `appliedAt` (t) and lists them by t, which is pinned here.
 */
const NOW = '2026-03-18T12:00:00.000Z';

const noneKept: ReductionSummary = { count: 0, before: null, after: null, reductionPercent: null };

/** byType: every intervention type, the ones not listed with nothing kept. */
function byType(listed: Partial<Record<InterventionType, ReductionSummary>>): StruggleReduction['byType'] {
  return {
    SPACED_REPETITION_BOOST: listed.SPACED_REPETITION_BOOST ?? noneKept,
    PREREQUISITE_REVIEW: listed.PREREQUISITE_REVIEW ?? noneKept,
    BREAK_SCHEDULING: listed.BREAK_SCHEDULING ?? noneKept,
    REDUCE_SESSION_LENGTH: listed.REDUCE_SESSION_LENGTH ?? noneKept,
    SCHEDULE_SHIFT: listed.SCHEDULE_SHIFT ?? noneKept,
  };
}

export const struggleReductionCases: GoldenCase<ByPeriod<StruggleReduction>>[] = [
  {
    pins: 'an unknown user gets no interventions and every type with count 0 and null shares, in every period',
    now: NOW,
    expected: {
      '7d': { period: '7d', interventions: [], byType: byType({}), overall: noneKept },
      '30d': { period: '30d', interventions: [], byType: byType({}), overall: noneKept },
      '90d': { period: '90d', interventions: [], byType: byType({}), overall: noneKept },
      all: { period: 'all', interventions: [], byType: byType({}), overall: noneKept },
    },
  },
  {
    pins: 'both 14-day windows are open at both ends: reviews exactly at t − 14 d, at t and at t + 14 d count on neither side',
    now: NOW,
    // t = 2026-03-01T12:00Z: t − 14 d = 2026-02-15T12:00Z, t + 14 d = 2026-03-15T12:00Z (before now)
    events: [
      review('a-at-t-minus-14d', '2026-02-15T12:00:00.000Z', 'a', false),
      review('a-before-1', '2026-02-20T10:00:00.000Z', 'a', false),
      review('a-before-2', '2026-02-25T10:00:00.000Z', 'a', false),
      review('a-before-3', '2026-02-28T10:00:00.000Z', 'a', true),
      interventionApplied('i-a', '2026-03-01T12:00:00.000Z', 'SPACED_REPETITION_BOOST', 'a'),
      review('a-at-t', '2026-03-01T12:00:00.000Z', 'a', false),
      review('a-after-1', '2026-03-02T10:00:00.000Z', 'a', true),
      review('a-after-2', '2026-03-05T10:00:00.000Z', 'a', true),
      review('a-after-3', '2026-03-10T10:00:00.000Z', 'a', false),
      review('a-after-4', '2026-03-12T10:00:00.000Z', 'a', true),
      review('a-at-t-plus-14d', '2026-03-15T12:00:00.000Z', 'a', false),
    ],
    // before = 2 / 3, after = 1 / 4, reduction = (2/3 − 1/4) / (2/3) × 100 = 62.5
    expected: {
      '7d': { period: '7d', interventions: [], byType: byType({}), overall: noneKept }, // t is 17 days ago
      '30d': {
        period: '30d',
        interventions: [
          { eventId: 'i-a', interventionType: 'SPACED_REPETITION_BOOST', objectiveId: 'a', appliedAt: '2026-03-01T12:00:00.000Z', before: 2 / 3, after: 0.25 },
        ],
        byType: byType({ SPACED_REPETITION_BOOST: { count: 1, before: 2 / 3, after: 0.25, reductionPercent: 62.5 } }),
        overall: { count: 1, before: 2 / 3, after: 0.25, reductionPercent: 62.5 },
      },
    },
  },
  {
    pins: 'an intervention exactly at now − 7 d is outside 7d; "after" stops at now; fewer than 3 reviews on a side drops it; no objective ignores it; before 0 gives null reductionPercent',
    now: NOW,
    events: [
      // b, t = 2026-03-11T12:00Z (= now − 7 d): before ✗✗✗ = 1, after ✗✓✓ = 1/3 (the ✗ 1 ms after now is not yet)
      review('b-before-1', '2026-03-01T10:00:00.000Z', 'b', false),
      review('b-before-2', '2026-03-05T10:00:00.000Z', 'b', false),
      review('b-before-3', '2026-03-08T10:00:00.000Z', 'b', false),
      interventionApplied('i-b', '2026-03-11T12:00:00.000Z', 'PREREQUISITE_REVIEW', 'b'),
      review('b-after-1', '2026-03-12T10:00:00.000Z', 'b', false),
      review('b-after-2', '2026-03-15T10:00:00.000Z', 'b', true),
      review('b-after-at-now', '2026-03-18T12:00:00.000Z', 'b', true),
      review('b-after-now', '2026-03-18T12:00:00.001Z', 'b', false),
      // c, t = 2026-03-12T12:00Z: 3 before but only 2 after → dropped
      review('c-before-1', '2026-03-01T10:00:00.000Z', 'c', false),
      review('c-before-2', '2026-03-02T10:00:00.000Z', 'c', false),
      review('c-before-3', '2026-03-03T10:00:00.000Z', 'c', false),
      interventionApplied('i-c', '2026-03-12T12:00:00.000Z', 'PREREQUISITE_REVIEW', 'c'),
      review('c-after-1', '2026-03-13T10:00:00.000Z', 'c', false),
      review('c-after-2', '2026-03-14T10:00:00.000Z', 'c', true),
      // no objective named: never measured
      interventionApplied('i-none', '2026-03-13T12:00:00.000Z', 'BREAK_SCHEDULING', null),
      // d, t = 2026-03-14T12:00Z: before ✓✓✓ = 0, after ✗✓✓ = 1/3
      review('d-before-1', '2026-03-05T10:00:00.000Z', 'd', true),
      review('d-before-2', '2026-03-08T10:00:00.000Z', 'd', true),
      review('d-before-3', '2026-03-10T10:00:00.000Z', 'd', true),
      interventionApplied('i-d', '2026-03-14T12:00:00.000Z', 'SPACED_REPETITION_BOOST', 'd'),
      review('d-after-1', '2026-03-15T10:00:00.000Z', 'd', false),
      review('d-after-2', '2026-03-16T10:00:00.000Z', 'd', true),
      review('d-after-3', '2026-03-17T10:00:00.000Z', 'd', true),
    ],
    expected: {
      '7d': {
        period: '7d',
        interventions: [
          { eventId: 'i-d', interventionType: 'SPACED_REPETITION_BOOST', objectiveId: 'd', appliedAt: '2026-03-14T12:00:00.000Z', before: 0, after: 1 / 3 },
        ],
        byType: byType({ SPACED_REPETITION_BOOST: { count: 1, before: 0, after: 1 / 3, reductionPercent: null } }),
        overall: { count: 1, before: 0, after: 1 / 3, reductionPercent: null },
      },
      '30d': {
        period: '30d',
        interventions: [
          { eventId: 'i-b', interventionType: 'PREREQUISITE_REVIEW', objectiveId: 'b', appliedAt: '2026-03-11T12:00:00.000Z', before: 1, after: 1 / 3 },
          { eventId: 'i-d', interventionType: 'SPACED_REPETITION_BOOST', objectiveId: 'd', appliedAt: '2026-03-14T12:00:00.000Z', before: 0, after: 1 / 3 },
        ],
        byType: byType({
          PREREQUISITE_REVIEW: { count: 1, before: 1, after: 1 / 3, reductionPercent: 200 / 3 }, // (1 − 1/3) / 1 × 100
          SPACED_REPETITION_BOOST: { count: 1, before: 0, after: 1 / 3, reductionPercent: null },
        }),
        // before (1 + 0) / 2 = 0.5, after (1/3 + 1/3) / 2 = 1/3, reduction (0.5 − 1/3) / 0.5 × 100 = 100 / 3
        overall: { count: 2, before: 0.5, after: 1 / 3, reductionPercent: 100 / 3 },
      },
    },
  },
];
