import { ago, DAY, event, HOUR, MIN, NOW, session } from '../../../test/support/history-builder';
import { missionsSummary } from './missions-summary';
import { busiestHour, studyPatterns } from './study-patterns';

const completed = (at: Date, successScore: number, durationMs: number) => event('mission_completed', at, { missionId: 'm', successScore, durationMs });

describe('5.1 missions/summary', () => {
  it('is all zeros and nulls for nobody', () => {
    expect(missionsSummary([], '30d', NOW)).toEqual({
      period: '30d', started: 0, completed: 0, abandoned: 0, completionRate: null, avgSuccessScore: null, avgDurationMinutes: null, currentStreakDays: 0,
    });
  });

  it('counts, rates and means over the period, unrounded', () => {
    const events = [
      event('mission_started', ago(1 * DAY)),
      event('mission_started', ago(2 * DAY)),
      completed(ago(1 * HOUR), 0.5, 10 * MIN),
      completed(ago(3 * DAY), 1, 25 * MIN),
      event('mission_abandoned', ago(4 * DAY)),
      completed(ago(40 * DAY), 0, 60 * MIN), // outside 30d
    ];
    const summary = missionsSummary(events, '30d', NOW);
    expect(summary).toMatchObject({ started: 2, completed: 2, abandoned: 1, avgSuccessScore: 0.75, avgDurationMinutes: 17.5 });
    expect(summary.completionRate).toBeCloseTo(2 / 3, 12);
    expect(missionsSummary(events, 'all', NOW)).toMatchObject({ completed: 3, avgSuccessScore: 0.5 });
    expect(missionsSummary(events, '7d', NOW)).toMatchObject({ completed: 2, started: 2 });
  });

  it('uses a half-open window (now − w, now]', () => {
    const events = [completed(ago(7 * DAY), 1, 0), completed(NOW, 1, 0), completed(new Date(NOW.getTime() + 1), 1, 0)];
    expect(missionsSummary(events, '7d', NOW).completed).toBe(1);
  });

  it('counts the streak of UTC days ending today or yesterday, of any age', () => {
    const day = (d: number, hour = 10) => new Date(Date.UTC(2026, 10, 24 - d, hour));
    expect(missionsSummary([completed(day(0), 1, 0), completed(day(1), 1, 0), completed(day(2, 23), 1, 0), completed(day(4), 1, 0)], '7d', NOW).currentStreakDays).toBe(3);
    expect(missionsSummary([completed(day(1), 1, 0), completed(day(2), 1, 0)], '7d', NOW).currentStreakDays).toBe(2);
    expect(missionsSummary([completed(day(2), 1, 0)], '7d', NOW).currentStreakDays).toBe(0);
    const old = Array.from({ length: 100 }, (_, d) => completed(day(d + 1, 0), 1, 0));
    expect(missionsSummary(old, '7d', NOW).currentStreakDays).toBe(100);
    // A started or abandoned mission does not keep a streak going.
    expect(missionsSummary([event('mission_started', day(0))], '7d', NOW).currentStreakDays).toBe(0);
  });
});

describe('5.2 patterns', () => {
  const at = (daysAgo: number, hour: number) => new Date(Date.UTC(2026, 10, 24 - daysAgo, hour, 0));

  it('has the full shape for nobody', () => {
    const p = studyPatterns([], NOW);
    expect(p.sessionsAnalyzed).toBe(0);
    expect(p.byHourOfDay).toHaveLength(24);
    expect(p.byHourOfDay[5]).toEqual({ hour: 5, sessions: 0, accuracy: null });
    expect(p.byDayOfWeek).toHaveLength(7);
    expect(p.byDuration.gte60).toEqual({ sessions: 0, accuracy: null });
    expect(p).toMatchObject({ optimalStudyHours: [], preferredSessionMinutes: null, confidence: 0 });
  });

  it('computes accuracy per hour from Σcorrect/Σcards and picks optimal hours (≥ 3 sessions, accuracy desc, hour asc)', () => {
    const sessions = [
      ...[1, 2, 3].map((d) => session(at(d, 8), 20, 10, 9)), // hour 8: 0.9
      ...[1, 2, 3].map((d) => session(at(d, 9), 20, 10, 9)), // hour 9: 0.9 (tie → 8 first)
      ...[1, 2, 3].map((d) => session(at(d, 20), 20, 10, 5)), // 0.5
      ...[1, 2, 3].map((d) => session(at(d, 21), 20, 10, 7)), // 0.7
      session(at(1, 6), 20, 10, 10), session(at(2, 6), 20, 10, 10), // only 2 sessions at 6
      ...[1, 2, 3].map((d) => session(at(d, 22), 20, 0, 0)), // null accuracy
    ];
    const p = studyPatterns(sessions, NOW);
    expect(p.byHourOfDay[8]).toEqual({ hour: 8, sessions: 3, accuracy: 0.9 });
    expect(p.byHourOfDay[22]!.accuracy).toBeNull();
    expect(p.optimalStudyHours).toEqual([8, 9, 21]);
    expect(p.confidence).toBe(17 / 20);
  });

  it('buckets durations at 15/30/60 minutes, takes the median and sums minutes by weekday', () => {
    const sessions = [session(at(1, 10), 14.99), session(at(1, 11), 15), session(at(1, 12), 30), session(at(2, 12), 60)];
    const p = studyPatterns(sessions, NOW);
    expect([p.byDuration.lt15.sessions, p.byDuration['15to30'].sessions, p.byDuration['30to60'].sessions, p.byDuration.gte60.sessions]).toEqual([1, 1, 1, 1]);
    expect(p.preferredSessionMinutes).toBe(22.5);
    expect(studyPatterns(sessions.slice(0, 3), NOW).preferredSessionMinutes).toBe(15);
    // 2026-11-23 is a Monday (1), 2026-11-22 a Sunday (0)
    expect(p.byDayOfWeek[1]).toEqual({ day: 1, sessions: 3, minutes: 14.99 + 15 + 30 });
    expect(p.byDayOfWeek[0]).toEqual({ day: 0, sessions: 1, minutes: 60 });
  });

  it('counts a session crossing midnight in the hour and day it started, with its full length', () => {
    const p = studyPatterns([session(new Date(Date.UTC(2026, 10, 22, 23, 30)), 90)], NOW);
    expect(p.byHourOfDay[23]!.sessions).toBe(1);
    expect(p.byDayOfWeek[0]).toEqual({ day: 0, sessions: 1, minutes: 90 });
    expect(p.byDuration.gte60.sessions).toBe(1);
  });

  it('keeps only sessions started in the last 90 days and caps confidence at 1', () => {
    const sessions = [session(ago(90 * DAY), 10), ...Array.from({ length: 25 }, (_, i) => session(ago(i * HOUR + MIN), 10))];
    const p = studyPatterns(sessions, NOW);
    expect(p.sessionsAnalyzed).toBe(25);
    expect(p.confidence).toBe(1);
  });

  it('finds the busiest hour, the lowest on a tie', () => {
    const p = studyPatterns([session(at(1, 14), 10), session(at(2, 14), 10), session(at(1, 7), 10), session(at(2, 7), 10)], NOW);
    expect(busiestHour(p)).toBe(7);
    expect(busiestHour(studyPatterns([], NOW))).toBeNull();
  });
});
