import type { CognitiveLoad } from '@shared/aggregates/aggregate-schemas';
import { review, selfReport, session, type GoldenCase } from './rows';

/**
 * SPEC 5.4 `cognitive-load/current`. now = 2026-03-18 12:00 UTC (today = 2026-03-18), so
 *   now − 24 h = 2026-03-17T12:00Z, now − 7 d = 2026-03-11T12:00Z, now − 30 d = 2026-02-16T12:00Z.
 *   m = min(1, studyMinutes24h / 240)         (sessions whose endedAt is in the last 24 h, full length)
 *   errorRate = 1 − Σcorrect / Σcards          (5 latest sessions by startedAt within 7 d; 0 when Σcards = 0)
 *   responseSlowdown = clamp(mean24h / mean30d − 1, 0, 1)   (card review responseMs)
 *   stress = (latest self_report stress in 24 h − 1) / 4
 *   loadScore = 100 × (0.4 m + 0.3 errorRate + 0.2 responseSlowdown + 0.1 stress)
 *   LOW < 40 ≤ MODERATE < 60 ≤ HIGH < 80 ≤ CRITICAL
 */
const NOW = '2026-03-18T12:00:00.000Z';

export const cognitiveLoadCases: GoldenCase<CognitiveLoad>[] = [
  {
    pins: "an unknown user has load 0, LOW, and a history holding only today's snapshot",
    now: NOW,
    expected: {
      loadScore: 0,
      level: 'LOW',
      components: { studyMinutes24h: 0, errorRate: 0, responseSlowdown: 0, stress: 0 },
      history: [{ day: '2026-03-18', loadScore: 0 }],
      burnoutRisk: false,
    },
  },
  {
    pins: 'the four weighted terms: full length of sessions ending in 24 h (across midnight too), 5 latest sessions with id tie-break, response slowdown, latest stress report with id tie-break',
    now: NOW,
    sessions: [
      session('starts-at-now-minus-7d', '2026-03-11T12:00:00.000Z', '2026-03-11T12:20:00.000Z', 10, 0), // not in 7 d
      session('sess-B', '2026-03-12T09:00:00.000Z', '2026-03-12T09:20:00.000Z', 10, 0), // 6th latest: 'sess-B' < 'sess-a'
      session('sess-a', '2026-03-12T09:00:00.000Z', '2026-03-12T09:20:00.000Z', 10, 6), // 5th latest
      session('ends-at-now-minus-24h', '2026-03-17T11:00:00.000Z', '2026-03-17T12:00:00.000Z', 10, 8), // its minutes are out
      session('ends-inside-24h', '2026-03-17T11:30:00.000Z', '2026-03-17T12:30:00.000Z', 10, 7), // 60 min, all counted
      session('crosses-midnight', '2026-03-17T23:00:00.000Z', '2026-03-18T00:30:00.000Z', 10, 9), // 90 min
      session('no-cards', '2026-03-18T08:00:00.000Z', '2026-03-18T08:30:00.000Z', 0, 0), // 30 min; takes a slot of the 5
    ],
    events: [
      review('rt-at-now-minus-30d', '2026-02-16T12:00:00.000Z', 'o1', true, 100_000), // in neither mean
      review('rt-03-01', '2026-03-01T12:00:00.000Z', 'o1', true, 1000),
      review('rt-at-now-minus-24h', '2026-03-17T12:00:00.000Z', 'o1', true, 1000), // 30-day mean only
      review('rt-today-1', '2026-03-18T10:00:00.000Z', 'o1', true, 3000),
      review('rt-today-2', '2026-03-18T10:01:00.000Z', 'o1', true, 3000),
      selfReport('stress-earlier', '2026-03-17T12:00:00.001Z', 5),
      selfReport('Rep', '2026-03-18T09:00:00.000Z', 5),
      selfReport('rep', '2026-03-18T09:00:00.000Z', 3), // the latest: 'Rep' < 'rep'
    ],
    // studyMinutes24h = 60 + 90 + 30 = 180 → m = 0.75
    // 5 latest: no-cards, crosses-midnight, ends-inside-24h, ends-at-now-minus-24h, sess-a:
    //   Σcorrect / Σcards = (0 + 9 + 7 + 8 + 6) / (0 + 10 + 10 + 10 + 10) = 30 / 40 → errorRate 0.25
    // mean24h = 3000, mean30d = (1000 + 1000 + 3000 + 3000) / 4 = 2000 → slowdown 0.5
    // stress = (3 − 1) / 4 = 0.5
    // loadScore = 100 × (0.4 × 0.75 + 0.3 × 0.25 + 0.2 × 0.5 + 0.1 × 0.5) = 30 + 7.5 + 10 + 5
    expected: {
      loadScore: 52.5,
      level: 'MODERATE',
      components: { studyMinutes24h: 180, errorRate: 0.25, responseSlowdown: 0.5, stress: 0.5 },
      history: [{ day: '2026-03-18', loadScore: 52.5 }],
      burnoutRisk: false,
    },
  },
  {
    pins: 'window edges on their own: a session starting exactly at now − 7 d, a report and a review exactly at now − 24 h are out; a session ending at now is in',
    now: NOW,
    sessions: [
      session('starts-at-now-minus-7d', '2026-03-11T12:00:00.000Z', '2026-03-11T12:10:00.000Z', 10, 0), // out of the 5
      session('starts-1ms-inside-7d', '2026-03-11T12:00:00.001Z', '2026-03-11T12:10:00.001Z', 4, 3),
      session('ends-at-now', '2026-03-18T11:00:00.000Z', '2026-03-18T12:00:00.000Z', 0, 0), // 60 min in the 24 h
    ],
    events: [
      review('rt-03-01', '2026-03-01T12:00:00.000Z', 'o1', true, 1000),
      review('rt-at-now-minus-24h', '2026-03-17T12:00:00.000Z', 'o1', true, 5000), // no review in 24 h: mean24h null
      selfReport('stress-at-now-minus-24h', '2026-03-17T12:00:00.000Z', 5), // no report in 24 h
    ],
    // m = 60 / 240 = 0.25; errorRate = 1 − 3 / 4 = 0.25; slowdown 0 (mean24h null); stress 0
    // loadScore = 100 × (0.4 × 0.25 + 0.3 × 0.25) = 10 + 7.5
    expected: {
      loadScore: 17.5,
      level: 'LOW',
      components: { studyMinutes24h: 60, errorRate: 0.25, responseSlowdown: 0, stress: 0 },
      history: [{ day: '2026-03-18', loadScore: 17.5 }],
      burnoutRisk: false,
    },
  },
  {
    pins: 'm is capped at 1 (300 minutes); sessions without cards give errorRate 0; a score of exactly 40 is MODERATE',
    now: NOW,
    sessions: [session('five-hours', '2026-03-18T06:00:00.000Z', '2026-03-18T11:00:00.000Z', 0, 0)],
    // m = min(1, 300 / 240) = 1 → loadScore = 100 × 0.4 × 1
    expected: {
      loadScore: 40,
      level: 'MODERATE',
      components: { studyMinutes24h: 300, errorRate: 0, responseSlowdown: 0, stress: 0 },
      history: [{ day: '2026-03-18', loadScore: 40 }],
      burnoutRisk: false,
    },
  },
  {
    pins: 'responseSlowdown is clamped to 1 when the last 24 h are more than twice as slow',
    now: NOW,
    events: [
      review('rt-03-10', '2026-03-10T12:00:00.000Z', 'o1', true, 1000),
      review('rt-03-12', '2026-03-12T12:00:00.000Z', 'o1', true, 1000),
      review('rt-03-14', '2026-03-14T12:00:00.000Z', 'o1', true, 1000),
      review('rt-today', '2026-03-18T10:00:00.000Z', 'o1', true, 10_000),
    ],
    // mean24h = 10000, mean30d = 13000 / 4 = 3250 → 10000 / 3250 − 1 ≈ 2.08 → 1; loadScore = 100 × 0.2 × 1
    expected: {
      loadScore: 20,
      level: 'LOW',
      components: { studyMinutes24h: 0, errorRate: 0, responseSlowdown: 1, stress: 0 },
      history: [{ day: '2026-03-18', loadScore: 20 }],
      burnoutRisk: false,
    },
  },
  {
    pins: 'responseSlowdown is clamped to 0 when the last 24 h are faster than the 30 days',
    now: NOW,
    events: [
      review('rt-03-10', '2026-03-10T12:00:00.000Z', 'o1', true, 1500),
      review('rt-today', '2026-03-18T10:00:00.000Z', 'o1', true, 500),
    ],
    // mean24h = 500, mean30d = 1000 → 500 / 1000 − 1 = −0.5 → 0
    expected: {
      loadScore: 0,
      level: 'LOW',
      components: { studyMinutes24h: 0, errorRate: 0, responseSlowdown: 0, stress: 0 },
      history: [{ day: '2026-03-18', loadScore: 0 }],
      burnoutRisk: false,
    },
  },
  {
    pins: "history over several UTC days: today's snapshot replaces today's stored one, the last 14 UTC days oldest first; burnoutRisk averages today and the 6 days before, over the days that have one",
    now: NOW,
    sessions: [session('five-hours', '2026-03-18T06:00:00.000Z', '2026-03-18T11:00:00.000Z', 0, 0)],
    events: [selfReport('stress-5', '2026-03-18T11:30:00.000Z', 5)],
    // Today: m = 1, stress = (5 − 1) / 4 = 1 → loadScore = 100 × (0.4 + 0.1) = 50
    storedLoadSnapshots: [
      { day: '2026-03-17', loadScore: 90 },
      { day: '2026-03-04', loadScore: 30 }, // today − 14: older than the 14 days
      { day: '2026-03-18', loadScore: 99 }, // today's earlier computation: replaced by 50
      { day: '2026-03-12', loadScore: 70 }, // today − 6: the first day of the burnout week
      { day: '2026-03-05', loadScore: 20 }, // today − 13: the first of the 14 days
      { day: '2026-03-15', loadScore: 80 },
      { day: '2026-03-11', loadScore: 10 }, // today − 7: in the history, not in the burnout week
    ],
    // burnout week 03-12 … 03-18: (70 + 80 + 90 + 50) / 4 = 72.5 ≥ 70
    // (with 03-11 it would be 60; with the missing days as 0 it would be 290 / 7 ≈ 41)
    expected: {
      loadScore: 50,
      level: 'MODERATE',
      components: { studyMinutes24h: 300, errorRate: 0, responseSlowdown: 0, stress: 1 },
      history: [
        { day: '2026-03-05', loadScore: 20 },
        { day: '2026-03-11', loadScore: 10 },
        { day: '2026-03-12', loadScore: 70 },
        { day: '2026-03-15', loadScore: 80 },
        { day: '2026-03-17', loadScore: 90 },
        { day: '2026-03-18', loadScore: 50 },
      ],
      burnoutRisk: true,
    },
  },
  {
    pins: 'burnoutRisk holds at a mean of exactly 70 (≥)',
    now: NOW,
    sessions: [session('five-hours', '2026-03-18T06:00:00.000Z', '2026-03-18T11:00:00.000Z', 0, 0)],
    events: [selfReport('stress-5', '2026-03-18T11:30:00.000Z', 5)],
    storedLoadSnapshots: [{ day: '2026-03-17', loadScore: 90 }],
    // (90 + 50) / 2 = 70
    expected: {
      loadScore: 50,
      level: 'MODERATE',
      components: { studyMinutes24h: 300, errorRate: 0, responseSlowdown: 0, stress: 1 },
      history: [
        { day: '2026-03-17', loadScore: 90 },
        { day: '2026-03-18', loadScore: 50 },
      ],
      burnoutRisk: true,
    },
  },
];
