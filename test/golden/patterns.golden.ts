import type { StudyPatterns } from '@shared/aggregates/aggregate-schemas';
import { hours, session, weekdays, type GoldenCase } from './rows';

/**
 * SPEC 5.2 `patterns`: sessions whose startedAt is in (now − 90 d, now]. now = Wednesday
 * 2026-03-18 12:00 UTC, so now − 90 d = Thursday 2025-12-18T12:00Z. A session belongs to
 * the UTC hour and weekday of its start and counts with its full length.
 * Weekdays used below: 2026-03-01 Sun, 03-02 Mon, 03-03 Tue, 03-04 Wed, 03-05 Thu,
 * 03-12 Thu, 03-13 Fri, 03-14 Sat, 03-15 Sun, 03-16 Mon, 03-17 Tue, 03-18 Wed.
 */
const NOW = '2026-03-18T12:00:00.000Z';
const noSessions: { sessions: number; accuracy: number | null } = { sessions: 0, accuracy: null };

export const patternsCases: GoldenCase<StudyPatterns>[] = [
  {
    pins: 'an unknown user gets 24 hours, 4 length buckets and 7 weekdays of zeros with null accuracies, and null median',
    now: NOW,
    expected: {
      sessionsAnalyzed: 0,
      byHourOfDay: hours(noSessions, {}),
      optimalStudyHours: [],
      preferredSessionMinutes: null,
      byDuration: { lt15: noSessions, '15to30': noSessions, '30to60': noSessions, gte60: noSessions },
      byDayOfWeek: weekdays({}),
      confidence: 0,
    },
  },
  {
    pins: 'the 90-day window is half-open; a session crossing midnight belongs to its start hour and weekday with its full length; sessions without cards give null accuracy; even-count median',
    now: NOW,
    sessions: [
      session('starts-at-now-minus-90d', '2025-12-18T12:00:00.000Z', '2025-12-18T12:30:00.000Z', 10, 10), // out (see golden-history.ts: the loader's edge too)
      session('starts-1ms-inside-90d', '2025-12-18T12:00:00.001Z', '2025-12-18T12:10:00.001Z', 4, 1), // Thu, 12h, 10 min
      session('crosses-midnight', '2026-03-14T23:50:00.000Z', '2026-03-15T00:30:00.000Z', 10, 5), // Sat (not Sun), 23h, 40 min
      session('one-hour', '2026-03-17T11:00:00.000Z', '2026-03-17T12:00:00.000Z', 8, 6), // Tue, 11h, 60 min
      session('no-cards-ends-at-now', '2026-03-18T11:45:00.000Z', '2026-03-18T12:00:00.000Z', 0, 0), // Wed, 11h, 15 min
    ],
    expected: {
      sessionsAnalyzed: 4,
      byHourOfDay: hours(noSessions, {
        11: { sessions: 2, accuracy: 6 / 8 }, // (6 + 0) / (8 + 0)
        12: { sessions: 1, accuracy: 1 / 4 },
        23: { sessions: 1, accuracy: 5 / 10 },
      }),
      optimalStudyHours: [], // no hour has 3 sessions
      preferredSessionMinutes: 27.5, // lengths 10, 15, 40, 60: (15 + 40) / 2
      byDuration: {
        lt15: { sessions: 1, accuracy: 1 / 4 }, // 10 min
        '15to30': { sessions: 1, accuracy: null }, // exactly 15 min is in [15, 30); no cards
        '30to60': { sessions: 1, accuracy: 5 / 10 }, // 40 min
        gte60: { sessions: 1, accuracy: 6 / 8 }, // exactly 60 min is in [60, ∞)
      },
      byDayOfWeek: weekdays({
        2: { sessions: 1, minutes: 60 },
        3: { sessions: 1, minutes: 15 },
        4: { sessions: 1, minutes: 10 },
        6: { sessions: 1, minutes: 40 }, // the 20 minutes after midnight stay on Saturday
      }),
      confidence: 4 / 20,
    },
  },
  {
    pins: 'optimalStudyHours: at most 3 hours with ≥ 3 sessions and non-null accuracy, by accuracy desc then hour asc',
    now: NOW,
    // Every session lasts 20 minutes and reviews 4 cards (hour 7: none).
    sessions: [
      session('h07-mon', '2026-03-02T07:00:00.000Z', '2026-03-02T07:20:00.000Z', 0, 0),
      session('h07-tue', '2026-03-03T07:00:00.000Z', '2026-03-03T07:20:00.000Z', 0, 0),
      session('h07-wed', '2026-03-04T07:00:00.000Z', '2026-03-04T07:20:00.000Z', 0, 0),
      session('h08-mon', '2026-03-02T08:00:00.000Z', '2026-03-02T08:20:00.000Z', 4, 2),
      session('h08-tue', '2026-03-03T08:00:00.000Z', '2026-03-03T08:20:00.000Z', 4, 2),
      session('h08-wed', '2026-03-04T08:00:00.000Z', '2026-03-04T08:20:00.000Z', 4, 2),
      session('h09-mon', '2026-03-02T09:00:00.000Z', '2026-03-02T09:20:00.000Z', 4, 3),
      session('h09-tue', '2026-03-03T09:00:00.000Z', '2026-03-03T09:20:00.000Z', 4, 3),
      session('h09-wed', '2026-03-04T09:00:00.000Z', '2026-03-04T09:20:00.000Z', 4, 3),
      session('h10-mon', '2026-03-02T10:00:00.000Z', '2026-03-02T10:20:00.000Z', 4, 3),
      session('h10-tue', '2026-03-03T10:00:00.000Z', '2026-03-03T10:20:00.000Z', 4, 3),
      session('h10-wed', '2026-03-04T10:00:00.000Z', '2026-03-04T10:20:00.000Z', 4, 3),
      session('h14-mon', '2026-03-02T14:00:00.000Z', '2026-03-02T14:20:00.000Z', 4, 4),
      session('h14-tue', '2026-03-03T14:00:00.000Z', '2026-03-03T14:20:00.000Z', 4, 4),
      session('h14-wed', '2026-03-04T14:00:00.000Z', '2026-03-04T14:20:00.000Z', 4, 4),
      session('h14-thu', '2026-03-05T14:00:00.000Z', '2026-03-05T14:20:00.000Z', 4, 4),
      session('h20-mon', '2026-03-02T20:00:00.000Z', '2026-03-02T20:20:00.000Z', 4, 4),
      session('h20-tue', '2026-03-03T20:00:00.000Z', '2026-03-03T20:20:00.000Z', 4, 4),
    ],
    expected: {
      sessionsAnalyzed: 18,
      byHourOfDay: hours(noSessions, {
        7: { sessions: 3, accuracy: null }, // no cards: never optimal
        8: { sessions: 3, accuracy: 6 / 12 },
        9: { sessions: 3, accuracy: 9 / 12 },
        10: { sessions: 3, accuracy: 9 / 12 },
        14: { sessions: 4, accuracy: 1 },
        20: { sessions: 2, accuracy: 1 }, // best accuracy but only 2 sessions
      }),
      optimalStudyHours: [14, 9, 10], // 9 and 10 tie at 0.75: lower hour first; 8 is the fourth
      preferredSessionMinutes: 20,
      byDuration: {
        lt15: noSessions,
        '15to30': { sessions: 18, accuracy: 48 / 60 }, // Σcorrect 6+9+9+16+8, Σcards 12+12+12+16+8
        '30to60': noSessions,
        gte60: noSessions,
      },
      byDayOfWeek: weekdays({
        1: { sessions: 6, minutes: 120 }, // Mon 03-02: hours 7, 8, 9, 10, 14, 20
        2: { sessions: 6, minutes: 120 }, // Tue 03-03: the same six
        3: { sessions: 5, minutes: 100 }, // Wed 03-04: all but 20h
        4: { sessions: 1, minutes: 20 }, // Thu 03-05: 14h
      }),
      confidence: 18 / 20,
    },
  },
  {
    pins: 'length buckets are [0,15) [15,30) [30,60) [60,∞) minutes, unrounded; odd-count median is the middle length',
    now: NOW,
    // Each session starts at 10:00 and reviews 2 cards, 1 correct.
    sessions: [
      session('len-45', '2026-03-12T10:00:00.000Z', '2026-03-12T10:45:00.000Z', 2, 1), // Thu, 45 min
      session('len-60', '2026-03-13T10:00:00.000Z', '2026-03-13T11:00:00.000Z', 2, 1), // Fri, 60 min
      session('len-30', '2026-03-14T10:00:00.000Z', '2026-03-14T10:30:00.000Z', 2, 1), // Sat, 30 min
      session('len-15', '2026-03-15T10:00:00.000Z', '2026-03-15T10:15:00.000Z', 2, 1), // Sun, 15 min
      session('len-1ms-under-15', '2026-03-16T10:00:00.000Z', '2026-03-16T10:14:59.999Z', 2, 1), // Mon, 899,999 ms
    ],
    expected: {
      sessionsAnalyzed: 5,
      byHourOfDay: hours(noSessions, { 10: { sessions: 5, accuracy: 5 / 10 } }),
      optimalStudyHours: [10],
      preferredSessionMinutes: 30, // 14.99998…, 15, 30, 45, 60
      byDuration: {
        lt15: { sessions: 1, accuracy: 0.5 },
        '15to30': { sessions: 1, accuracy: 0.5 },
        '30to60': { sessions: 2, accuracy: 0.5 }, // 30 and 45
        gte60: { sessions: 1, accuracy: 0.5 },
      },
      byDayOfWeek: weekdays({
        0: { sessions: 1, minutes: 15 },
        1: { sessions: 1, minutes: 899_999 / 60_000 }, // not rounded to 15
        4: { sessions: 1, minutes: 45 },
        5: { sessions: 1, minutes: 60 },
        6: { sessions: 1, minutes: 30 },
      }),
      confidence: 5 / 20,
    },
  },
];
