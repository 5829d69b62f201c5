import type { MissionsSummary } from '@shared/aggregates/aggregate-schemas';
import { missionAbandoned, missionCompleted, missionStarted, type ByPeriod, type GoldenCase } from './rows';

/**
 * SPEC 5.1 `missions/summary`. now = Wednesday 2026-03-18 12:00 UTC, so
 *   now − 7 d  = 2026-03-11T12:00Z, now − 30 d = 2026-02-16T12:00Z, now − 90 d = 2025-12-18T12:00Z,
 * and a period of w is (now − w, now]: an event exactly at now − w is out, one at now is in;
 * `all` is every event up to now.
 */
const NOW = '2026-03-18T12:00:00.000Z';

export const missionsSummaryCases: GoldenCase<ByPeriod<MissionsSummary>>[] = [
  {
    pins: 'an unknown user gets zero counts, null rates and means, and streak 0 in every period',
    now: NOW,
    expected: {
      '7d': { period: '7d', started: 0, completed: 0, abandoned: 0, completionRate: null, avgSuccessScore: null, avgDurationMinutes: null, currentStreakDays: 0 },
      '30d': { period: '30d', started: 0, completed: 0, abandoned: 0, completionRate: null, avgSuccessScore: null, avgDurationMinutes: null, currentStreakDays: 0 },
      '90d': { period: '90d', started: 0, completed: 0, abandoned: 0, completionRate: null, avgSuccessScore: null, avgDurationMinutes: null, currentStreakDays: 0 },
      all: { period: 'all', started: 0, completed: 0, abandoned: 0, completionRate: null, avgSuccessScore: null, avgDurationMinutes: null, currentStreakDays: 0 },
    },
  },
  {
    pins: 'periods are half-open (now − w, now]: an event exactly at now − w is out, one at now is in, one after now is in no period',
    now: NOW,
    events: [
      missionAbandoned('abandoned-at-now-minus-90d', '2025-12-18T12:00:00.000Z'), // out of 90d, in all
      missionAbandoned('abandoned-at-now-minus-30d', '2026-02-16T12:00:00.000Z'), // out of 30d, in 90d
      missionCompleted('completed-at-now-minus-7d', '2026-03-11T12:00:00.000Z', 0.25, 10), // out of 7d, in 30d
      missionCompleted('completed-1ms-inside-7d', '2026-03-11T12:00:00.001Z', 0.5, 20),
      missionStarted('started-today', '2026-03-18T11:00:00.000Z'),
      missionCompleted('completed-at-now', '2026-03-18T12:00:00.000Z', 1, 30), // at now: in every period
      missionStarted('started-after-now', '2026-03-18T12:00:00.001Z'), // not yet: in no period, not even all
    ],
    // Completed days: 03-11 and 03-18 (today); 03-17 has none, so the streak is today alone.
    expected: {
      // completed: 1ms-inside (0.5, 20 min) and at-now (1, 30 min)
      '7d': { period: '7d', started: 1, completed: 2, abandoned: 0, completionRate: 1, avgSuccessScore: 0.75, avgDurationMinutes: 25, currentStreakDays: 1 },
      // + completed-at-now-minus-7d (0.25, 10 min): scores (0.25 + 0.5 + 1) / 3, minutes (10 + 20 + 30) / 3
      '30d': { period: '30d', started: 1, completed: 3, abandoned: 0, completionRate: 1, avgSuccessScore: 1.75 / 3, avgDurationMinutes: 20, currentStreakDays: 1 },
      // + abandoned-at-now-minus-30d: 3 / (3 + 1)
      '90d': { period: '90d', started: 1, completed: 3, abandoned: 1, completionRate: 0.75, avgSuccessScore: 1.75 / 3, avgDurationMinutes: 20, currentStreakDays: 1 },
      // + abandoned-at-now-minus-90d: 3 / (3 + 2)
      all: { period: 'all', started: 1, completed: 3, abandoned: 2, completionRate: 0.6, avgSuccessScore: 1.75 / 3, avgDurationMinutes: 20, currentStreakDays: 1 },
    },
  },
  {
    pins: 'a streak may end yesterday; UTC days run 00:00:00.000–23:59:59.999; a gap ends it; started and abandoned missions do not count',
    now: NOW,
    events: [
      missionCompleted('completed-03-13', '2026-03-13T09:00:00.000Z', 0.5, 30), // before the gap: not in the streak
      missionAbandoned('abandoned-03-14', '2026-03-14T09:00:00.000Z'), // 03-14 has no completion: the gap
      missionCompleted('completed-03-15-first-ms', '2026-03-15T00:00:00.000Z', 0.5, 30),
      missionCompleted('completed-03-16', '2026-03-16T18:00:00.000Z', 0.5, 30),
      missionCompleted('completed-03-17-last-ms', '2026-03-17T23:59:59.999Z', 0.5, 30),
      missionStarted('started-today', '2026-03-18T08:00:00.000Z'), // today has no completion
    ],
    // Streak: 03-17, 03-16, 03-15 = 3 (today has none, so it ends yesterday).
    // 7d: all six are after 2026-03-11T12:00Z; completion rate 4 / (4 + 1).
    expected: {
      '7d': { period: '7d', started: 1, completed: 4, abandoned: 1, completionRate: 0.8, avgSuccessScore: 0.5, avgDurationMinutes: 30, currentStreakDays: 3 },
    },
  },
  {
    pins: 'a streak whose last completed day is the day before yesterday is 0; a completion after now does not make today count',
    now: NOW,
    events: [
      missionCompleted('completed-03-15', '2026-03-15T10:00:00.000Z', 1, 50),
      missionCompleted('completed-03-16', '2026-03-16T10:00:00.000Z', 0.5, 10),
      missionCompleted('completed-after-now', '2026-03-18T12:00:00.001Z', 1, 10), // not yet
    ],
    // Neither today (03-18) nor yesterday (03-17) holds a completion up to now.
    expected: {
      all: { period: 'all', started: 0, completed: 2, abandoned: 0, completionRate: 1, avgSuccessScore: 0.75, avgDurationMinutes: 30, currentStreakDays: 0 },
    },
  },
  {
    pins: 'the streak counts completions of any age, beyond the period; it may end today',
    now: NOW,
    events: [
      missionCompleted('completed-03-09', '2026-03-09T09:00:00.000Z', 1, 15),
      missionCompleted('completed-03-10', '2026-03-10T09:00:00.000Z', 1, 15),
      missionCompleted('completed-03-11', '2026-03-11T09:00:00.000Z', 1, 15), // 09:00 < 12:00: before the 7-day period
      missionCompleted('completed-03-12', '2026-03-12T09:00:00.000Z', 1, 15),
      missionCompleted('completed-03-13', '2026-03-13T09:00:00.000Z', 1, 15),
      missionCompleted('completed-03-14', '2026-03-14T09:00:00.000Z', 1, 15),
      missionCompleted('completed-03-15', '2026-03-15T09:00:00.000Z', 1, 15),
      missionCompleted('completed-03-16', '2026-03-16T09:00:00.000Z', 1, 15),
      missionCompleted('completed-03-17', '2026-03-17T09:00:00.000Z', 1, 15),
      missionCompleted('completed-03-18', '2026-03-18T09:00:00.000Z', 1, 15),
    ],
    // Streak 03-09 … 03-18 = 10 days; the 7-day period holds 03-12 … 03-18 = 7 completions.
    expected: {
      '7d': { period: '7d', started: 0, completed: 7, abandoned: 0, completionRate: 1, avgSuccessScore: 1, avgDurationMinutes: 15, currentStreakDays: 10 },
    },
  },
  {
    pins: 'completionRate is completed / (completed + abandoned): null with neither, 0 with only abandoned; started missions never enter it',
    now: NOW,
    events: [
      missionStarted('started-03-01', '2026-03-01T10:00:00.000Z'),
      missionAbandoned('abandoned-03-01', '2026-03-01T11:00:00.000Z'),
      missionStarted('started-03-17', '2026-03-17T10:00:00.000Z'),
    ],
    expected: {
      '7d': { period: '7d', started: 1, completed: 0, abandoned: 0, completionRate: null, avgSuccessScore: null, avgDurationMinutes: null, currentStreakDays: 0 },
      '30d': { period: '30d', started: 2, completed: 0, abandoned: 1, completionRate: 0, avgSuccessScore: null, avgDurationMinutes: null, currentStreakDays: 0 },
    },
  },
];
