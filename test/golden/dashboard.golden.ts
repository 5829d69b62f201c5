import type { Dashboard } from '@shared/aggregates/aggregate-schemas';
import { HIGH_LOAD_EVENTS, HIGH_LOAD_SESSIONS } from './interventions.golden';
import { contentViewed, MIN, missionAbandoned, missionCompleted, missionStarted, searchPerformed, session, type GoldenCase } from './rows';

/**
 * SPEC 5.9 `behavioral-insights/dashboard`: missions (5.1 over 7d), optimalStudyHours and
 * preferredSessionMinutes (5.2), cognitiveLoad (5.4), the first 3 predictions (5.6) and
 * interventions (5.7) of the same computation; and from raw rows: studyMinutesByDay (today
 * and the 6 UTC days before, oldest first, by session START day with full length),
 * engagement over (now − 7 d, now], totals of all time (lastActivityAt = latest event
 * occurredAt or session endedAt).
 * now = 2026-03-18 12:00 UTC: the 7 days are 2026-03-12 … 2026-03-18; now − 7 d = 2026-03-11T12:00Z.
 */
const NOW = '2026-03-18T12:00:00.000Z';

const noMinutes = [
  { day: '2026-03-12', minutes: 0 },
  { day: '2026-03-13', minutes: 0 },
  { day: '2026-03-14', minutes: 0 },
  { day: '2026-03-15', minutes: 0 },
  { day: '2026-03-16', minutes: 0 },
  { day: '2026-03-17', minutes: 0 },
  { day: '2026-03-18', minutes: 0 },
];

export const dashboardCases: GoldenCase<Dashboard>[] = [
  {
    pins: 'an unknown user gets the full shape: zero missions, null median, LOW load, 7 empty days, zero engagement for every content type, zero totals and null lastActivityAt',
    now: NOW,
    expected: {
      missions: { period: '7d', started: 0, completed: 0, abandoned: 0, completionRate: null, avgSuccessScore: null, avgDurationMinutes: null, currentStreakDays: 0 },
      optimalStudyHours: [],
      preferredSessionMinutes: null,
      cognitiveLoad: { loadScore: 0, level: 'LOW', burnoutRisk: false },
      predictions: [],
      interventions: [],
      studyMinutesByDay: noMinutes,
      engagement: { contentMinutesByType: { article: 0, video: 0, card: 0, question: 0 }, searches: 0 },
      totals: { sessions: 0, events: 0, lastActivityAt: null },
    },
  },
  {
    pins: 'study minutes go to the start day with full length across midnight; engagement counts (now − 7 d, now]; lastActivityAt can be a session end',
    now: NOW,
    sessions: [
      session('starts-03-11-crosses-midnight', '2026-03-11T23:30:00.000Z', '2026-03-12T00:30:00.000Z', 0, 0), // day 03-11: not shown
      session('starts-03-12-midnight', '2026-03-12T00:00:00.000Z', '2026-03-12T00:45:00.000Z', 0, 0), // 03-12: 45
      session('03-17-morning', '2026-03-17T08:00:00.000Z', '2026-03-17T08:30:00.000Z', 0, 0), // 03-17: 30
      session('03-17-crosses-midnight', '2026-03-17T23:00:00.000Z', '2026-03-18T01:30:00.000Z', 0, 0), // 03-17: 150
      session('today', '2026-03-18T11:00:00.000Z', '2026-03-18T11:30:00.000Z', 0, 0), // 03-18: 30; the last activity
    ],
    events: [
      contentViewed('video-at-now-minus-7d', '2026-03-11T12:00:00.000Z', 'video', 30 * MIN), // out
      contentViewed('video-1ms-inside', '2026-03-11T12:00:00.001Z', 'video', 15 * MIN),
      contentViewed('card', '2026-03-15T10:00:00.000Z', 'card', 30_000),
      contentViewed('article', '2026-03-18T10:00:00.000Z', 'article', 90_000),
      searchPerformed('search-at-now-minus-7d', '2026-03-11T12:00:00.000Z'), // out
      searchPerformed('search-03-13', '2026-03-13T10:00:00.000Z'),
      searchPerformed('search-today', '2026-03-18T10:00:00.000Z'),
    ],
    // Load: sessions ending in the last 24 h: 150 + 30 = 180 → m = 0.75, no cards → loadScore 30 (LOW).
    // Median length of 60, 45, 30, 150, 30 = 45; no hour has 3 sessions.
    expected: {
      missions: { period: '7d', started: 0, completed: 0, abandoned: 0, completionRate: null, avgSuccessScore: null, avgDurationMinutes: null, currentStreakDays: 0 },
      optimalStudyHours: [],
      preferredSessionMinutes: 45,
      cognitiveLoad: { loadScore: 30, level: 'LOW', burnoutRisk: false },
      predictions: [],
      interventions: [],
      studyMinutesByDay: [
        { day: '2026-03-12', minutes: 45 },
        { day: '2026-03-13', minutes: 0 },
        { day: '2026-03-14', minutes: 0 },
        { day: '2026-03-15', minutes: 0 },
        { day: '2026-03-16', minutes: 0 },
        { day: '2026-03-17', minutes: 180 },
        { day: '2026-03-18', minutes: 30 },
      ],
      engagement: { contentMinutesByType: { article: 1.5, video: 15, card: 0.5, question: 0 }, searches: 2 },
      totals: { sessions: 5, events: 7, lastActivityAt: '2026-03-18T11:30:00.000Z' },
    },
  },
  {
    pins: "missions over 7d, the first 3 predictions and interventions, and the load come from the same computation's other aggregates",
    now: NOW,
    sessions: HIGH_LOAD_SESSIONS,
    events: [
      ...HIGH_LOAD_EVENTS, // 1 stress report + 7 objectives × 3 reviews (see interventions.golden.ts)
      missionAbandoned('abandoned-03-10', '2026-03-10T10:00:00.000Z'), // before the 7 days
      missionStarted('started-03-17', '2026-03-17T09:00:00.000Z'),
      missionCompleted('completed-03-17', '2026-03-17T10:00:00.000Z', 0.5, 40),
      missionCompleted('completed-03-18', '2026-03-18T09:00:00.000Z', 1, 20),
    ],
    expected: {
      missions: { period: '7d', started: 1, completed: 2, abandoned: 0, completionRate: 1, avgSuccessScore: 0.75, avgDurationMinutes: 30, currentStreakDays: 2 },
      optimalStudyHours: [],
      preferredSessionMinutes: 300,
      // 72.5 (see interventions.golden.ts); today's snapshot alone is ≥ 70
      cognitiveLoad: { loadScore: 72.5, level: 'HIGH', burnoutRisk: true },
      predictions: [
        { objectiveId: 'k', recentAccuracy: 0, daysSinceLastPractice: 10, struggleProbability: 0.745, riskLevel: 'HIGH' },
        { objectiveId: 'm', recentAccuracy: 0, daysSinceLastPractice: 7, struggleProbability: 0.715, riskLevel: 'HIGH' },
        { objectiveId: 'n', recentAccuracy: 0, daysSinceLastPractice: 0.5, struggleProbability: 0.65, riskLevel: 'HIGH' },
      ],
      interventions: [
        { type: 'BREAK_SCHEDULING', priority: 9, objectiveId: null, reason: expect.any(String), suggestedHours: null },
        { type: 'PREREQUISITE_REVIEW', priority: 7, objectiveId: 'm', reason: expect.any(String), suggestedHours: null },
        { type: 'PREREQUISITE_REVIEW', priority: 7, objectiveId: 'n', reason: expect.any(String), suggestedHours: null },
      ],
      studyMinutesByDay: [...noMinutes.slice(0, 6), { day: '2026-03-18', minutes: 300 }],
      engagement: { contentMinutesByType: { article: 0, video: 0, card: 0, question: 0 }, searches: 0 },
      // 22 + 4 events; the latest are the reviews ending at now
      totals: { sessions: 1, events: 26, lastActivityAt: '2026-03-18T12:00:00.000Z' },
    },
  },
];
