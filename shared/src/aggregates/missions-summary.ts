import type { Period } from '../contracts/analytics-query';
import type { MissionsSummary } from './aggregate-schemas';
import { DAY_MS, inWindow, mean } from './math';
import type { EventRow } from './user-history';

export const PERIOD_MS: Record<Period, number | null> = { '7d': 7 * DAY_MS, '30d': 30 * DAY_MS, '90d': 90 * DAY_MS, all: null };

export function inPeriod(at: Date, now: Date, period: Period): boolean {
  const windowMs = PERIOD_MS[period];
  return windowMs === null ? at.getTime() <= now.getTime() : inWindow(at, now, windowMs);
}

/** The UTC day of an instant as a number of days since the epoch (a UTC midnight): cheaper than a YYYY-MM-DD string. */
const dayNumber = (ms: number) => Math.floor(ms / DAY_MS);

/** Consecutive UTC days ending today or yesterday, each with a mission_completed (any age). */
export function currentStreakDays(events: EventRow[], now: Date): number {
  const days = new Set<number>();
  for (const e of events) if (e.type === 'mission_completed' && e.occurredAt.getTime() <= now.getTime()) days.add(dayNumber(e.occurredAt.getTime()));
  const today = dayNumber(now.getTime());
  let day = days.has(today) ? today : today - 1;
  let streak = 0;
  while (days.has(day)) {
    streak += 1;
    day -= 1;
  }
  return streak;
}

/**
 * SPEC 5.1 over the mission events of any age among `events`; the period filters counts and
 * means. `streak` (currentStreakDays, the same for every period) is passed in when known.
 */
export function missionsSummary(events: EventRow[], period: Period, now: Date, streak = currentStreakDays(events, now)): MissionsSummary {
  const inRange = events.filter((e) => inPeriod(e.occurredAt, now, period));
  const completedEvents = inRange.filter((e) => e.type === 'mission_completed');
  const completed = completedEvents.length;
  const abandoned = inRange.filter((e) => e.type === 'mission_abandoned').length;
  return {
    period,
    started: inRange.filter((e) => e.type === 'mission_started').length,
    completed,
    abandoned,
    completionRate: completed + abandoned === 0 ? null : completed / (completed + abandoned),
    avgSuccessScore: mean(completedEvents.flatMap((e) => (e.successScore === null ? [] : [e.successScore]))),
    avgDurationMinutes: mean(completedEvents.flatMap((e) => (e.durationMs === null ? [] : [e.durationMs / 60_000]))),
    currentStreakDays: streak,
  };
}
