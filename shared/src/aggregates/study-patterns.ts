import type { StudyPatterns } from './aggregate-schemas';
import { accuracyOf, DAY_MS, inWindow, median, sessionMinutes } from './math';
import type { SessionRow } from './user-history';

type DurationBucket = keyof StudyPatterns['byDuration'];

function durationBucket(minutes: number): DurationBucket {
  if (minutes < 15) return 'lt15';
  if (minutes < 30) return '15to30';
  if (minutes < 60) return '30to60';
  return 'gte60';
}

/** SPEC 5.2: sessions whose startedAt is in the last 90 days, by UTC hour, length and weekday. */
export function studyPatterns(allSessions: SessionRow[], now: Date): StudyPatterns {
  const sessions = allSessions.filter((s) => inWindow(s.startedAt, now, 90 * DAY_MS));
  const byHour = Array.from({ length: 24 }, () => [] as SessionRow[]);
  const byBucket: Record<DurationBucket, SessionRow[]> = { lt15: [], '15to30': [], '30to60': [], gte60: [] };
  const byDay = Array.from({ length: 7 }, () => ({ sessions: 0, minutes: 0 }));
  for (const session of sessions) {
    const minutes = sessionMinutes(session);
    byHour[session.startedAt.getUTCHours()]!.push(session);
    byBucket[durationBucket(minutes)].push(session);
    const day = byDay[session.startedAt.getUTCDay()]!;
    day.sessions += 1;
    day.minutes += minutes;
  }
  const byHourOfDay = byHour.map((list, hour) => ({ hour, sessions: list.length, accuracy: accuracyOf(list) }));
  const optimalStudyHours = byHourOfDay
    .filter((h) => h.sessions >= 3 && h.accuracy !== null)
    .sort((a, b) => b.accuracy! - a.accuracy! || a.hour - b.hour)
    .slice(0, 3)
    .map((h) => h.hour);
  const bucket = (key: DurationBucket) => ({ sessions: byBucket[key].length, accuracy: accuracyOf(byBucket[key]) });
  return {
    sessionsAnalyzed: sessions.length,
    byHourOfDay,
    optimalStudyHours,
    preferredSessionMinutes: median(sessions.map(sessionMinutes)),
    byDuration: { lt15: bucket('lt15'), '15to30': bucket('15to30'), '30to60': bucket('30to60'), gte60: bucket('gte60') },
    byDayOfWeek: byDay.map((d, day) => ({ day, sessions: d.sessions, minutes: d.minutes })),
    confidence: Math.min(1, sessions.length / 20),
  };
}

/** The hour with the most sessions (the lowest such hour on a tie), or null without sessions. */
export function busiestHour(patterns: StudyPatterns): number | null {
  let best: { hour: number; sessions: number } | null = null;
  for (const h of patterns.byHourOfDay) if (h.sessions > 0 && (best === null || h.sessions > best.sessions)) best = h;
  return best?.hour ?? null;
}
