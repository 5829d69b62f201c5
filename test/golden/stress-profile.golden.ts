import type { StressProfile } from '@shared/aggregates/aggregate-schemas';
import { hours, review, reviewsFrom, selfReport, session, type GoldenCase } from './rows';

/**
 * SPEC 5.5 `stress-profile`: self reports in (now − 30 d, now]. now = 2026-03-18 12:00 UTC:
 *   now − 7 d = 2026-03-11T12:00Z, now − 14 d = 2026-03-04T12:00Z, now − 30 d = 2026-02-16T12:00Z.
 * trend = mean over (now − 7 d, now] − mean over (now − 14 d, now − 7 d]: RISING ≥ 0.5,
 * FALLING ≤ −0.5, else STABLE; INSUFFICIENT_DATA when either week has no report.
 * loadHistory and burnoutRisk are those of 5.4 (the load's own stress term uses only the
 * latest report of the last 24 h).
 */
const NOW = '2026-03-18T12:00:00.000Z';
const noReports: { reports: number; avgStress: number | null } = { reports: 0, avgStress: null };

export const stressProfileCases: GoldenCase<StressProfile>[] = [
  {
    pins: "an unknown user has 0 reports, null means, 24 empty hours, INSUFFICIENT_DATA, no triggers, and today's load snapshot",
    now: NOW,
    expected: {
      reports: 0,
      avgStress: null,
      stressByHourOfDay: hours(noReports, {}),
      trend: 'INSUFFICIENT_DATA',
      trendDelta: null,
      triggers: [],
      loadHistory: [{ day: '2026-03-18', loadScore: 0 }],
      burnoutRisk: false,
    },
  },
  {
    pins: 'the 30 days and both weeks are half-open: a report at now − 7 d belongs to the earlier week, one at now − 14 d to neither; +0.5 is RISING',
    now: NOW,
    events: [
      selfReport('at-now-minus-30d', '2026-02-16T12:00:00.000Z', 5), // out of the 30 days
      selfReport('1ms-inside-30d', '2026-02-16T12:00:00.001Z', 1), // in the 30 days, in neither week
      selfReport('at-now-minus-14d', '2026-03-04T12:00:00.000Z', 5), // in the 30 days, in neither week
      selfReport('last-week', '2026-03-08T08:00:00.000Z', 2),
      selfReport('at-now-minus-7d', '2026-03-11T12:00:00.000Z', 4), // the earlier week's last instant
      selfReport('this-week', '2026-03-15T08:00:00.000Z', 3),
      selfReport('at-now', '2026-03-18T12:00:00.000Z', 4),
    ],
    // 30 days: 1, 5, 2, 4, 3, 4 → 19 / 6. This week (3 + 4) / 2 = 3.5, last week (2 + 4) / 2 = 3.
    // Load: latest report in 24 h has stress 4 → (4 − 1) / 4 = 0.75 → loadScore 100 × 0.1 × 0.75 = 7.5
    expected: {
      reports: 6,
      avgStress: 19 / 6,
      stressByHourOfDay: hours(noReports, {
        8: { reports: 2, avgStress: 2.5 }, // 2, 3
        12: { reports: 4, avgStress: 3.5 }, // 1, 5, 4, 4
      }),
      trend: 'RISING',
      trendDelta: 0.5,
      triggers: [],
      loadHistory: [{ day: '2026-03-18', loadScore: 7.5 }],
      burnoutRisk: false,
    },
  },
  {
    pins: 'a trend of exactly −0.5 is FALLING',
    now: NOW,
    events: [
      selfReport('last-week-1', '2026-03-05T10:00:00.000Z', 4),
      selfReport('last-week-2', '2026-03-09T10:00:00.000Z', 2),
      selfReport('this-week-1', '2026-03-12T10:00:00.000Z', 3),
      selfReport('this-week-2', '2026-03-16T10:00:00.000Z', 2),
    ],
    // this week 2.5 − last week 3 = −0.5; no report in the last 24 h: load 0
    expected: {
      reports: 4,
      avgStress: 11 / 4,
      stressByHourOfDay: hours(noReports, { 10: { reports: 4, avgStress: 11 / 4 } }),
      trend: 'FALLING',
      trendDelta: -0.5,
      triggers: [],
      loadHistory: [{ day: '2026-03-18', loadScore: 0 }],
      burnoutRisk: false,
    },
  },
  {
    pins: 'a trend between −0.5 and 0.5 is STABLE',
    now: NOW,
    events: [
      selfReport('last-week-1', '2026-03-05T10:00:00.000Z', 3),
      selfReport('last-week-2', '2026-03-07T10:00:00.000Z', 4),
      selfReport('last-week-3', '2026-03-09T10:00:00.000Z', 4),
      selfReport('this-week-1', '2026-03-14T10:00:00.000Z', 3),
      selfReport('this-week-2', '2026-03-15T10:00:00.000Z', 4),
    ],
    // this week 3.5 − last week 11 / 3 = −1 / 6
    expected: {
      reports: 5,
      avgStress: 18 / 5,
      stressByHourOfDay: hours(noReports, { 10: { reports: 5, avgStress: 18 / 5 } }),
      trend: 'STABLE',
      trendDelta: 3.5 - 11 / 3,
      triggers: [],
      loadHistory: [{ day: '2026-03-18', loadScore: 0 }],
      burnoutRisk: false,
    },
  },
  {
    pins: 'INSUFFICIENT_DATA with a null delta when the earlier week has no report (one exactly at now − 14 d does not count)',
    now: NOW,
    events: [
      selfReport('at-now-minus-14d', '2026-03-04T12:00:00.000Z', 5),
      selfReport('this-week', '2026-03-17T10:00:00.000Z', 2), // before now − 24 h: not the load's stress
    ],
    expected: {
      reports: 2,
      avgStress: 3.5,
      stressByHourOfDay: hours(noReports, { 10: { reports: 1, avgStress: 2 }, 12: { reports: 1, avgStress: 5 } }),
      trend: 'INSUFFICIENT_DATA',
      trendDelta: null,
      triggers: [],
      loadHistory: [{ day: '2026-03-18', loadScore: 0 }],
      burnoutRisk: false,
    },
  },
  {
    pins: 'triggers: the first 3 objectives with ≥ 5 reviews in the 30 days (one exactly at now − 30 d is out), by accuracy asc then id in code-point order',
    now: NOW,
    events: [
      ...reviewsFrom('a', 'a', '2026-03-10T08:00:00.000Z', '✓✓✗✗✗'), // 0.4
      ...reviewsFrom('B', 'B', '2026-03-10T09:00:00.000Z', '✗✗✗✓✓'), // 0.4: before 'a'
      ...reviewsFrom('c', 'c', '2026-03-10T10:00:00.000Z', '✗✗✗✗✗✗'), // 0
      ...reviewsFrom('d', 'd', '2026-03-10T11:00:00.000Z', '✓✓✓✓✗'), // 0.8: fourth, left out
      review('e-at-now-minus-30d', '2026-02-16T12:00:00.000Z', 'e', false),
      ...reviewsFrom('e', 'e', '2026-03-10T12:00:00.000Z', '✗✗✗✗'), // only 4 in the 30 days
    ],
    expected: {
      reports: 0,
      avgStress: null,
      stressByHourOfDay: hours(noReports, {}),
      trend: 'INSUFFICIENT_DATA',
      trendDelta: null,
      triggers: [
        { objectiveId: 'c', reviews: 6, accuracy: 0 },
        { objectiveId: 'B', reviews: 5, accuracy: 0.4 },
        { objectiveId: 'a', reviews: 5, accuracy: 0.4 },
      ],
      loadHistory: [{ day: '2026-03-18', loadScore: 0 }],
      burnoutRisk: false,
    },
  },
  {
    pins: "loadHistory and burnoutRisk are 5.4's: stored snapshots of several UTC days plus today's",
    now: NOW,
    sessions: [session('five-hours', '2026-03-18T06:00:00.000Z', '2026-03-18T11:00:00.000Z', 0, 0)],
    events: [selfReport('stress-5', '2026-03-18T11:30:00.000Z', 5)],
    // Today's load: 100 × (0.4 × 1 + 0.1 × 1) = 50
    storedLoadSnapshots: [
      { day: '2026-03-04', loadScore: 30 }, // today − 14: out
      { day: '2026-03-11', loadScore: 10 }, // today − 7: history only
      { day: '2026-03-12', loadScore: 70 },
      { day: '2026-03-17', loadScore: 90 },
      { day: '2026-03-18', loadScore: 99 }, // replaced by today's 50
    ],
    // burnout week: (70 + 90 + 50) / 3 = 70 ≥ 70
    expected: {
      reports: 1,
      avgStress: 5,
      stressByHourOfDay: hours(noReports, { 11: { reports: 1, avgStress: 5 } }),
      trend: 'INSUFFICIENT_DATA',
      trendDelta: null,
      triggers: [],
      loadHistory: [
        { day: '2026-03-11', loadScore: 10 },
        { day: '2026-03-12', loadScore: 70 },
        { day: '2026-03-17', loadScore: 90 },
        { day: '2026-03-18', loadScore: 50 },
      ],
      burnoutRisk: true,
    },
  },
];
