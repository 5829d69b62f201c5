import type { Intervention, Interventions } from '@shared/aggregates/aggregate-schemas';
import type { EventRow, SessionRow } from '@shared/aggregates/user-history';
import { review, reviewsFrom, selfReport, session, type GoldenCase } from './rows';

/**
 * SPEC 5.7 `interventions`, from 5.2, 5.4 and 5.6 of the same computation. now =
 * 2026-03-18 12:00 UTC.
 * - each of the first 5 HIGH predictions: SPACED_REPETITION_BOOST if daysSinceLastPractice > 7,
 *   else PREREQUISITE_REVIEW, priority round-half-up(10 p);
 * - load HIGH: BREAK_SCHEDULING 9 (CRITICAL: 10);
 * - preferredSessionMinutes > 60 with load MODERATE or above: REDUCE_SESSION_LENGTH 6;
 * - optimalStudyHours non-empty and the busiest hour (lowest on a tie) not among them:
 *   SCHEDULE_SHIFT 5 with suggestedHours = optimalStudyHours.
 * Ordered by priority desc, then type in code-point order, then objectiveId (null first).
 * The SPEC asks for "a human reason" without fixing its words, so any string is accepted.
 * It does not say what suggestedHours is for the other types; null (like objectiveId
 * "where none") is the reading pinned here.
 */
const NOW = '2026-03-18T12:00:00.000Z';

const advice = (type: Intervention['type'], priority: number, objectiveId: string | null, suggestedHours: number[] | null = null): Intervention => ({
  type,
  priority,
  objectiveId,
  reason: expect.any(String),
  suggestedHours,
});

/**
 * A user under HIGH load with six HIGH predictions (also the dashboard's first cases).
 * Load: a 300-minute session ending today with 10 cards all wrong (m = 1, errorRate = 1),
 * a stress report of 2 ((2 − 1) / 4 = 0.25), all response times equal (slowdown 0):
 *   loadScore = 100 × (0.4 + 0.3 + 0.1 × 0.25) = 72.5 → HIGH; load term of p = 0.2 × 0.725 = 0.145.
 * Every objective has 3 incorrect reviews (recentAccuracy 0) except q (3 correct):
 *   p = 0.5 + 0.3 × days / 30 + 0.145 = 0.645 + days / 100.
 */
export const HIGH_LOAD_SESSIONS: SessionRow[] = [session('five-hours', '2026-03-18T06:00:00.000Z', '2026-03-18T11:00:00.000Z', 10, 0)];
export const HIGH_LOAD_EVENTS: EventRow[] = [
  selfReport('stress-2', '2026-03-18T11:30:00.000Z', 2),
  ...reviewsFrom('k', 'k', '2026-03-08T11:58:00.000Z', '✗✗✗'), // latest 03-08 12:00: 10 days → p 0.745
  ...reviewsFrom('m', 'm', '2026-03-11T11:58:00.000Z', '✗✗✗'), // latest 03-11 12:00: exactly 7 days → p 0.715
  ...reviewsFrom('n', 'n', '2026-03-17T23:58:00.000Z', '✗✗✗'), // latest 03-18 00:00: 0.5 day → p 0.65
  ...reviewsFrom('B', 'B', '2026-03-18T11:58:00.000Z', '✗✗✗'), // latest at now → p 0.645
  ...reviewsFrom('a', 'a', '2026-03-18T11:58:00.000Z', '✗✗✗'), // p 0.645
  ...reviewsFrom('b', 'b', '2026-03-18T11:58:00.000Z', '✗✗✗'), // p 0.645: the 6th HIGH
  ...reviewsFrom('q', 'q', '2026-03-18T11:58:00.000Z', '✓✓✓'), // p 0.145: LOW
];

export const interventionsCases: GoldenCase<Interventions>[] = [
  {
    pins: 'an unknown user gets no interventions',
    now: NOW,
    expected: { interventions: [] },
  },
  {
    pins: 'first 5 HIGH predictions only; > 7 days gives SPACED_REPETITION_BOOST, exactly 7 PREREQUISITE_REVIEW; 10 × 0.65 rounds half up to 7; HIGH load gives BREAK 9; long sessions give REDUCE 6; order priority, type, objectiveId',
    now: NOW,
    sessions: HIGH_LOAD_SESSIONS,
    events: HIGH_LOAD_EVENTS,
    // HIGH predictions in 5.6 order: k 0.745, m 0.715, n 0.65, B 0.645, a 0.645 | b 0.645 (6th: none).
    // preferredSessionMinutes = 300 > 60 under HIGH load; one session: no optimal hours, no shift.
    expected: {
      interventions: [
        advice('BREAK_SCHEDULING', 9, null),
        advice('PREREQUISITE_REVIEW', 7, 'm'), // 10 × 0.715 = 7.15; 7 days is not > 7
        advice('PREREQUISITE_REVIEW', 7, 'n'), // 10 × 0.65 = 6.5 → 7
        advice('SPACED_REPETITION_BOOST', 7, 'k'), // 10 × 0.745 = 7.45; 'P…' < 'S…'
        advice('PREREQUISITE_REVIEW', 6, 'B'), // 6.45; 'B' < 'a'
        advice('PREREQUISITE_REVIEW', 6, 'a'),
        advice('REDUCE_SESSION_LENGTH', 6, null), // 'P…' < 'R…'
      ],
    },
  },
  {
    pins: 'CRITICAL load gives BREAK_SCHEDULING priority 10, ahead of REDUCE_SESSION_LENGTH',
    now: NOW,
    sessions: [session('five-hours', '2026-03-18T06:00:00.000Z', '2026-03-18T11:00:00.000Z', 10, 0)],
    events: [
      review('usual', '2026-03-10T10:00:00.000Z', 'x', true, 1000),
      review('slow-today', '2026-03-18T10:00:00.000Z', 'y', true, 3000),
      selfReport('stress-5', '2026-03-18T11:30:00.000Z', 5),
    ],
    // m = 1, errorRate = 1, slowdown = 3000 / 2000 − 1 = 0.5, stress = 1:
    // loadScore = 40 + 30 + 10 + 10 = 90 → CRITICAL. One review per objective: no predictions.
    expected: { interventions: [advice('BREAK_SCHEDULING', 10, null), advice('REDUCE_SESSION_LENGTH', 6, null)] },
  },
  {
    pins: 'REDUCE_SESSION_LENGTH needs more than 60 minutes: exactly 60 under MODERATE load gives nothing',
    now: NOW,
    sessions: [session('one-hour', '2026-03-18T10:00:00.000Z', '2026-03-18T11:00:00.000Z', 10, 0)],
    events: [selfReport('stress-5', '2026-03-18T11:30:00.000Z', 5)],
    // loadScore = 100 × (0.4 × 60 / 240 + 0.3 × 1 + 0.1 × 1) = 10 + 30 + 10 = 50 → MODERATE
    expected: { interventions: [] },
  },
  {
    pins: 'REDUCE_SESSION_LENGTH at 61 minutes under MODERATE load',
    now: NOW,
    sessions: [session('61-minutes', '2026-03-18T10:00:00.000Z', '2026-03-18T11:01:00.000Z', 10, 0)],
    events: [selfReport('stress-5', '2026-03-18T11:30:00.000Z', 5)],
    // loadScore = 100 × (0.4 × 61 / 240 + 0.3 + 0.1) ≈ 50.17 → MODERATE
    expected: { interventions: [advice('REDUCE_SESSION_LENGTH', 6, null)] },
  },
  {
    pins: 'long sessions under LOW load give no REDUCE_SESSION_LENGTH',
    now: NOW,
    sessions: [session('ninety-minutes', '2026-03-08T10:00:00.000Z', '2026-03-08T11:30:00.000Z', 10, 0)], // 10 days ago: load 0
    expected: { interventions: [] },
  },
  {
    pins: 'SCHEDULE_SHIFT (priority 5, suggestedHours = optimalStudyHours) when the busiest hour is not an optimal one',
    now: NOW,
    // 20-minute sessions two weeks ago (no load). 9h: 3 sessions, all correct; 20h: 4 sessions, no cards.
    sessions: [
      session('h09-mon', '2026-03-02T09:00:00.000Z', '2026-03-02T09:20:00.000Z', 2, 2),
      session('h09-tue', '2026-03-03T09:00:00.000Z', '2026-03-03T09:20:00.000Z', 2, 2),
      session('h09-wed', '2026-03-04T09:00:00.000Z', '2026-03-04T09:20:00.000Z', 2, 2),
      session('h20-mon', '2026-03-02T20:00:00.000Z', '2026-03-02T20:20:00.000Z', 0, 0),
      session('h20-tue', '2026-03-03T20:00:00.000Z', '2026-03-03T20:20:00.000Z', 0, 0),
      session('h20-wed', '2026-03-04T20:00:00.000Z', '2026-03-04T20:20:00.000Z', 0, 0),
      session('h20-thu', '2026-03-05T20:00:00.000Z', '2026-03-05T20:20:00.000Z', 0, 0),
    ],
    // optimalStudyHours = [9] (20h has null accuracy); busiest hour 20 is not among them
    expected: { interventions: [advice('SCHEDULE_SHIFT', 5, null, [9])] },
  },
  {
    pins: 'a tie for the busiest hour goes to the lowest hour: no SCHEDULE_SHIFT when that hour is optimal',
    now: NOW,
    sessions: [
      session('h09-mon', '2026-03-02T09:00:00.000Z', '2026-03-02T09:20:00.000Z', 2, 2),
      session('h09-tue', '2026-03-03T09:00:00.000Z', '2026-03-03T09:20:00.000Z', 2, 2),
      session('h09-wed', '2026-03-04T09:00:00.000Z', '2026-03-04T09:20:00.000Z', 2, 2),
      session('h09-thu', '2026-03-05T09:00:00.000Z', '2026-03-05T09:20:00.000Z', 2, 2),
      session('h20-mon', '2026-03-02T20:00:00.000Z', '2026-03-02T20:20:00.000Z', 0, 0),
      session('h20-tue', '2026-03-03T20:00:00.000Z', '2026-03-03T20:20:00.000Z', 0, 0),
      session('h20-wed', '2026-03-04T20:00:00.000Z', '2026-03-04T20:20:00.000Z', 0, 0),
      session('h20-thu', '2026-03-05T20:00:00.000Z', '2026-03-05T20:20:00.000Z', 0, 0),
    ],
    // 9h and 20h both have 4 sessions: the busiest is 9, which is optimal
    expected: { interventions: [] },
  },
];
