import type { ObjectivesMastery } from '@shared/aggregates/aggregate-schemas';
import { review, reviewsFrom, type GoldenCase } from './rows';

/**
 * SPEC 5.3 `objectives`: card reviews whose occurredAt is in (now − 90 d, now]; now =
 * 2026-03-18 12:00 UTC, so now − 90 d = 2025-12-18T12:00Z. recentAccuracy is over each
 * objective's 10 most recent reviews of ANY age (ties by eventId in code-point order);
 * attempts, correct and accuracy are over the 90 days only.
 * Mastery: MASTERED (recent ≥ 0.9 and attempts ≥ 10), PROFICIENT (recent ≥ 0.75),
 * DEVELOPING (≥ 0.5), else STRUGGLING.
 * `reviewsFrom` lays reviews a minute apart, so lastPracticedAt = first + (count − 1) min.
 */
const NOW = '2026-03-18T12:00:00.000Z';

export const objectivesCases: GoldenCase<ObjectivesMastery>[] = [
  {
    pins: 'an unknown user has no objectives and no weaknesses',
    now: NOW,
    expected: { objectives: [], weaknesses: [] },
  },
  {
    pins: 'mastery thresholds are inclusive (0.9 with 10 attempts, 0.75, 0.5) and objectives sort by id in code-point order (B < a)',
    now: NOW,
    events: [
      ...reviewsFrom('a', 'a', '2026-03-17T08:00:00.000Z', '✓✓✓✓✓✓✓✓✓✗'),
      ...reviewsFrom('B', 'B', '2026-03-17T09:00:00.000Z', '✓✓✓✓✓✓✓✓✓'),
      ...reviewsFrom('b', 'b', '2026-03-17T10:00:00.000Z', '✓✗✓✓'),
      ...reviewsFrom('c', 'c', '2026-03-17T11:00:00.000Z', '✗✓'),
      ...reviewsFrom('d', 'd', '2026-03-17T12:00:00.000Z', '✓✗✗✓✗'),
    ],
    expected: {
      objectives: [
        // recent 1 but only 9 attempts: not MASTERED
        { objectiveId: 'B', attempts: 9, correct: 9, accuracy: 1, recentAccuracy: 1, lastPracticedAt: '2026-03-17T09:08:00.000Z', masteryLevel: 'PROFICIENT' },
        // exactly 0.9 over exactly 10 attempts
        { objectiveId: 'a', attempts: 10, correct: 9, accuracy: 0.9, recentAccuracy: 0.9, lastPracticedAt: '2026-03-17T08:09:00.000Z', masteryLevel: 'MASTERED' },
        { objectiveId: 'b', attempts: 4, correct: 3, accuracy: 0.75, recentAccuracy: 0.75, lastPracticedAt: '2026-03-17T10:03:00.000Z', masteryLevel: 'PROFICIENT' },
        { objectiveId: 'c', attempts: 2, correct: 1, accuracy: 0.5, recentAccuracy: 0.5, lastPracticedAt: '2026-03-17T11:01:00.000Z', masteryLevel: 'DEVELOPING' },
        { objectiveId: 'd', attempts: 5, correct: 2, accuracy: 0.4, recentAccuracy: 0.4, lastPracticedAt: '2026-03-17T12:04:00.000Z', masteryLevel: 'STRUGGLING' },
      ],
      weaknesses: [
        { objectiveId: 'd', attempts: 5, correct: 2, accuracy: 0.4, recentAccuracy: 0.4, lastPracticedAt: '2026-03-17T12:04:00.000Z', masteryLevel: 'STRUGGLING' },
      ],
    },
  },
  {
    pins: 'attempts count the half-open 90 days (a review exactly at now − 90 d is out) while recentAccuracy takes the 10 latest of any age',
    now: NOW,
    events: [
      // p: 9 correct reviews in the window, one incorrect exactly at now − 90 d (out of the attempts,
      // the loader's edge too: see golden-history.ts), 5 correct older ones.
      ...reviewsFrom('p-old', 'p', '2025-11-01T08:00:00.000Z', '✓✓✓✓✓'),
      review('p-at-now-minus-90d', '2025-12-18T12:00:00.000Z', 'p', false),
      ...reviewsFrom('p-new', 'p', '2026-03-10T08:00:00.000Z', '✓✓✓✓✓✓✓✓✓'),
      // q: 12 reviews in the window; the 2 oldest (incorrect) fall outside its 10 latest.
      ...reviewsFrom('q', 'q', '2026-03-11T08:00:00.000Z', '✗✗✓✓✓✓✓✓✓✓✓✓'),
      // r: 8 correct reviews older than 90 days and 2 incorrect in the window.
      ...reviewsFrom('r-old', 'r', '2025-10-01T08:00:00.000Z', '✓✓✓✓✓✓✓✓'),
      ...reviewsFrom('r-new', 'r', '2026-03-12T08:00:00.000Z', '✗✗'),
      // s: reviewed only before the window: not listed at all.
      ...reviewsFrom('s', 's', '2025-12-01T08:00:00.000Z', '✗✗✗'),
    ],
    expected: {
      objectives: [
        // 10 latest: 9 ✓ + the ✗ at now − 90 d → 0.9, but 9 attempts: PROFICIENT
        { objectiveId: 'p', attempts: 9, correct: 9, accuracy: 1, recentAccuracy: 0.9, lastPracticedAt: '2026-03-10T08:08:00.000Z', masteryLevel: 'PROFICIENT' },
        { objectiveId: 'q', attempts: 12, correct: 10, accuracy: 10 / 12, recentAccuracy: 1, lastPracticedAt: '2026-03-11T08:11:00.000Z', masteryLevel: 'MASTERED' },
        // 10 latest: 2 ✗ + 8 older ✓ → 0.8: PROFICIENT although its 90-day accuracy is 0
        { objectiveId: 'r', attempts: 2, correct: 0, accuracy: 0, recentAccuracy: 0.8, lastPracticedAt: '2026-03-12T08:01:00.000Z', masteryLevel: 'PROFICIENT' },
      ],
      weaknesses: [],
    },
  },
  {
    pins: 'two reviews at the same instant on the 10th-latest boundary: the larger id in code-point order is the later one (rev-a after rev-B)',
    now: NOW,
    events: [
      review('rev-B', '2026-03-17T10:00:00.000Z', 'tie', true), // 11th latest
      review('rev-a', '2026-03-17T10:00:00.000Z', 'tie', false), // 10th latest: 'B' (0x42) < 'a' (0x61)
      ...reviewsFrom('t', 'tie', '2026-03-17T10:01:00.000Z', '✓✓✓✓✓✓✓✓✓'),
    ],
    expected: {
      objectives: [
        // 10 latest: 9 ✓ + rev-a ✗ = 0.9 (a locale order, where rev-a < rev-B, would give 1)
        { objectiveId: 'tie', attempts: 11, correct: 10, accuracy: 10 / 11, recentAccuracy: 0.9, lastPracticedAt: '2026-03-17T10:09:00.000Z', masteryLevel: 'MASTERED' },
      ],
      weaknesses: [],
    },
  },
  {
    pins: 'weaknesses are the STRUGGLING objectives by 90-day accuracy asc (not recentAccuracy), then id in code-point order',
    now: NOW,
    events: [
      ...reviewsFrom('z', 'z', '2026-03-16T08:00:00.000Z', '✗✗'),
      ...reviewsFrom('Y', 'Y', '2026-03-16T09:00:00.000Z', '✓✗✗✗✗'),
      ...reviewsFrom('y', 'y', '2026-03-16T10:00:00.000Z', '✗✗✗✗✓'),
      ...reviewsFrom('x', 'x', '2026-03-16T11:00:00.000Z', '✓✗✗'),
      // w: 16 reviews; its 10 latest hold 2 ✓ (recent 0.2) but its 90 days hold 8 ✓ (0.5)
      ...reviewsFrom('w', 'w', '2026-03-16T12:00:00.000Z', '✓✓✓✓✓✓✓✓✗✗✗✗✗✗✗✗'),
    ],
    expected: {
      objectives: [
        { objectiveId: 'Y', attempts: 5, correct: 1, accuracy: 0.2, recentAccuracy: 0.2, lastPracticedAt: '2026-03-16T09:04:00.000Z', masteryLevel: 'STRUGGLING' },
        { objectiveId: 'w', attempts: 16, correct: 8, accuracy: 0.5, recentAccuracy: 0.2, lastPracticedAt: '2026-03-16T12:15:00.000Z', masteryLevel: 'STRUGGLING' },
        { objectiveId: 'x', attempts: 3, correct: 1, accuracy: 1 / 3, recentAccuracy: 1 / 3, lastPracticedAt: '2026-03-16T11:02:00.000Z', masteryLevel: 'STRUGGLING' },
        { objectiveId: 'y', attempts: 5, correct: 1, accuracy: 0.2, recentAccuracy: 0.2, lastPracticedAt: '2026-03-16T10:04:00.000Z', masteryLevel: 'STRUGGLING' },
        { objectiveId: 'z', attempts: 2, correct: 0, accuracy: 0, recentAccuracy: 0, lastPracticedAt: '2026-03-16T08:01:00.000Z', masteryLevel: 'STRUGGLING' },
      ],
      weaknesses: [
        { objectiveId: 'z', attempts: 2, correct: 0, accuracy: 0, recentAccuracy: 0, lastPracticedAt: '2026-03-16T08:01:00.000Z', masteryLevel: 'STRUGGLING' },
        { objectiveId: 'Y', attempts: 5, correct: 1, accuracy: 0.2, recentAccuracy: 0.2, lastPracticedAt: '2026-03-16T09:04:00.000Z', masteryLevel: 'STRUGGLING' },
        { objectiveId: 'y', attempts: 5, correct: 1, accuracy: 0.2, recentAccuracy: 0.2, lastPracticedAt: '2026-03-16T10:04:00.000Z', masteryLevel: 'STRUGGLING' },
        { objectiveId: 'x', attempts: 3, correct: 1, accuracy: 1 / 3, recentAccuracy: 1 / 3, lastPracticedAt: '2026-03-16T11:02:00.000Z', masteryLevel: 'STRUGGLING' },
        { objectiveId: 'w', attempts: 16, correct: 8, accuracy: 0.5, recentAccuracy: 0.2, lastPracticedAt: '2026-03-16T12:15:00.000Z', masteryLevel: 'STRUGGLING' },
      ],
    },
  },
];
