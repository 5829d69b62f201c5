import type { Prediction, StrugglePredictions } from '@shared/aggregates/aggregate-schemas';
import { review, reviewsFrom, session, type GoldenCase } from './rows';

/**
 * SPEC 5.6 `predictions`: each objective with ≥ 3 card reviews in (now − 30 d, now];
 * now = 2026-03-18 12:00 UTC, now − 30 d = 2026-02-16T12:00Z.
 *   p = clamp(0.5 (1 − recentAccuracy) + 0.3 min(1, daysSinceLastPractice / 30) + 0.2 loadScore / 100, 0, 1)
 *   HIGH ≥ 0.6, MEDIUM ≥ 0.35, else LOW; the first 20 by p desc, objectiveId asc;
 *   counts over every qualifying objective.
 * recentAccuracy is 5.3's (10 latest reviews of any age). `reviewsFrom` lays reviews a
 * minute apart, so each group below is written to end at the instant named in its comment.
 */
const NOW = '2026-03-18T12:00:00.000Z';

const medium = (objectiveId: string): Prediction => ({
  objectiveId,
  recentAccuracy: 0,
  daysSinceLastPractice: 0,
  struggleProbability: 0.5,
  riskLevel: 'MEDIUM',
});

/** 22 objectives, each with 3 incorrect reviews ending at now; listed in code-point order. */
const TWENTY_TWO = ['O99', 'o01', 'o02', 'o03', 'o04', 'o05', 'o06', 'o07', 'o08', 'o09', 'o10', 'o11', 'o12', 'o13', 'o14', 'o15', 'o16', 'o17', 'o18', 'o19', 'o20', 'p'];

export const predictionsCases: GoldenCase<StrugglePredictions>[] = [
  {
    pins: 'an unknown user has no predictions, zero counts and load 0',
    now: NOW,
    expected: { predictions: [], counts: { HIGH: 0, MEDIUM: 0, LOW: 0 }, loadScore: 0 },
  },
  {
    pins: 'the probability formula with the load term, fractional days since the latest review, recentAccuracy over the 10 latest of any age, and the ≥ 3 reviews in 30 days rule',
    now: NOW,
    // 120 minutes ending in the last 24 h, no cards: m = 0.5 → loadScore = 100 × 0.4 × 0.5 = 20
    sessions: [session('two-hours', '2026-03-18T08:00:00.000Z', '2026-03-18T10:00:00.000Z', 0, 0)],
    events: [
      ...reviewsFrom('d', 'd', '2026-03-08T11:56:00.000Z', '✗✗✗✗✗'), // latest 2026-03-08T12:00Z: 10 days
      ...reviewsFrom('a', 'a', '2026-03-15T11:58:00.000Z', '✗✗✗'), // latest 2026-03-15T12:00Z: 3 days
      ...reviewsFrom('B', 'B', '2026-03-18T10:57:00.000Z', '✓✗✗✗'), // latest 11:00 today: 1 / 24 day
      // c: 3 incorrect reviews in the 30 days ending 2026-02-26T12:00Z (20 days), 7 older correct,
      // 5 older still incorrect (beyond its 10 latest) → recentAccuracy 7 / 10
      ...reviewsFrom('c-oldest', 'c', '2025-12-01T08:00:00.000Z', '✗✗✗✗✗'),
      ...reviewsFrom('c-old', 'c', '2026-01-10T08:00:00.000Z', '✓✓✓✓✓✓✓'),
      ...reviewsFrom('c', 'c', '2026-02-26T11:58:00.000Z', '✗✗✗'),
      ...reviewsFrom('e', 'e', '2026-03-18T11:58:00.000Z', '✓✓✓'), // latest at now: 0 days
      // f: 2 reviews in the 30 days and one exactly at now − 30 d: does not qualify
      review('f-at-now-minus-30d', '2026-02-16T12:00:00.000Z', 'f', false),
      ...reviewsFrom('f', 'f', '2026-03-01T08:00:00.000Z', '✗✗'),
    ],
    expected: {
      predictions: [
        // 0.5 × 1 + 0.3 × 10 / 30 + 0.2 × 0.2 = 0.5 + 0.1 + 0.04
        { objectiveId: 'd', recentAccuracy: 0, daysSinceLastPractice: 10, struggleProbability: 0.64, riskLevel: 'HIGH' },
        // 0.5 + 0.3 × 3 / 30 + 0.04
        { objectiveId: 'a', recentAccuracy: 0, daysSinceLastPractice: 3, struggleProbability: 0.57, riskLevel: 'MEDIUM' },
        // 0.5 × 0.75 + 0.3 × (1 / 24) / 30 + 0.04 = 0.415 + 1 / 2400
        { objectiveId: 'B', recentAccuracy: 0.25, daysSinceLastPractice: 1 / 24, struggleProbability: 0.415 + 1 / 2400, riskLevel: 'MEDIUM' },
        // 0.5 × 0.3 + 0.3 × 20 / 30 + 0.04 = 0.15 + 0.2 + 0.04
        { objectiveId: 'c', recentAccuracy: 0.7, daysSinceLastPractice: 20, struggleProbability: 0.39, riskLevel: 'MEDIUM' },
        // 0 + 0 + 0.04
        { objectiveId: 'e', recentAccuracy: 1, daysSinceLastPractice: 0, struggleProbability: 0.04, riskLevel: 'LOW' },
      ],
      counts: { HIGH: 1, MEDIUM: 3, LOW: 1 },
      loadScore: 20,
    },
  },
  {
    pins: 'only the first 20 are listed, equal probabilities by objectiveId in code-point order (O99 < o01 < p), and counts cover all 22',
    now: NOW,
    events: TWENTY_TWO.flatMap((id) => reviewsFrom(id, id, '2026-03-18T11:58:00.000Z', '✗✗✗')),
    // every one: 0.5 × (1 − 0) + 0.3 × 0 + 0.2 × 0 = 0.5
    expected: {
      predictions: ['O99', 'o01', 'o02', 'o03', 'o04', 'o05', 'o06', 'o07', 'o08', 'o09', 'o10', 'o11', 'o12', 'o13', 'o14', 'o15', 'o16', 'o17', 'o18', 'o19'].map(medium),
      counts: { HIGH: 0, MEDIUM: 22, LOW: 0 },
      loadScore: 0,
    },
  },
];
