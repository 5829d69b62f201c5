import { CONTENT_TYPES } from '../contracts/behavioral-event';
import type { CognitiveLoad, Dashboard, Interventions, MissionsSummary, StrugglePredictions, StudyPatterns } from './aggregate-schemas';
import { addDays, DAY_MS, inWindow, sessionMinutes, utcDay } from './math';
import type { UserDigest } from './user-digest';

/** SPEC 5.9: built from the other aggregates of the same computation plus a few raw-row sums. */
export function dashboard(
  digest: UserDigest,
  parts: { missions7d: MissionsSummary; patterns: StudyPatterns; load: CognitiveLoad; predictions: StrugglePredictions; interventions: Interventions },
): Dashboard {
  const { now } = digest;
  const today = utcDay(now);
  const days = Array.from({ length: 7 }, (_, i) => addDays(today, i - 6));
  const minutesByDay = new Map(days.map((day) => [day, 0]));
  const firstDayStart = Date.parse(`${days[0]}T00:00:00.000Z`);
  for (const s of digest.sessions) {
    const t = s.startedAt.getTime();
    // A number comparison first: formatting a day costs more than the rest of the loop.
    if (t < firstDayStart || t > now.getTime()) continue;
    const day = utcDay(s.startedAt);
    minutesByDay.set(day, minutesByDay.get(day)! + sessionMinutes(s));
  }
  const contentMinutesByType = Object.fromEntries(CONTENT_TYPES.map((t) => [t, 0])) as Dashboard['engagement']['contentMinutesByType'];
  let searches = 0;
  for (const e of digest.events) {
    if (!inWindow(e.occurredAt, now, 7 * DAY_MS)) continue;
    if (e.type === 'search_performed') searches += 1;
    if (e.type === 'content_viewed' && e.contentType && e.contentType in contentMinutesByType) {
      contentMinutesByType[e.contentType as keyof typeof contentMinutesByType] += (e.durationMs ?? 0) / 60_000;
    }
  }
  return {
    missions: parts.missions7d,
    optimalStudyHours: parts.patterns.optimalStudyHours,
    preferredSessionMinutes: parts.patterns.preferredSessionMinutes,
    cognitiveLoad: { loadScore: parts.load.loadScore, level: parts.load.level, burnoutRisk: parts.load.burnoutRisk },
    predictions: parts.predictions.predictions.slice(0, 3),
    interventions: parts.interventions.interventions.slice(0, 3),
    studyMinutesByDay: days.map((day) => ({ day, minutes: minutesByDay.get(day)! })),
    engagement: { contentMinutesByType, searches },
    totals: {
      sessions: digest.totals.sessions,
      events: digest.totals.events,
      lastActivityAt: digest.totals.lastActivityAt?.toISOString() ?? null,
    },
  };
}
