import type { CognitiveLoad, LoadLevel } from './aggregate-schemas';
import { addDays, chronological, clamp, DAY_MS, inWindow, mean, sessionMinutes, utcDay } from './math';
import type { ResponseTimes } from './user-digest';
import type { EventRow, LoadSnapshotRow, SessionRow } from './user-history';

export function loadLevel(score: number): LoadLevel {
  if (score < 40) return 'LOW';
  if (score < 60) return 'MODERATE';
  if (score < 80) return 'HIGH';
  return 'CRITICAL';
}

function meanOf(times: ResponseTimes): number | null {
  return times.count === 0 ? null : times.sum / times.count;
}

/** Today's snapshot replaces a stored one for the same day; the last 14 UTC days, oldest first. */
export function loadHistory(stored: LoadSnapshotRow[], today: LoadSnapshotRow): LoadSnapshotRow[] {
  const firstDay = addDays(today.day, -13);
  return [...stored.filter((s) => s.day !== today.day && s.day >= firstDay && s.day < today.day), today]
    .sort((a, b) => (a.day < b.day ? -1 : 1))
    .map((s) => ({ day: s.day, loadScore: s.loadScore }));
}

/** Mean loadScore of the snapshots dated today and the 6 days before is ≥ 70. */
export function burnoutRisk(history: LoadSnapshotRow[], todayDay: string): boolean {
  const firstDay = addDays(todayDay, -6);
  const week = mean(history.filter((s) => s.day >= firstDay && s.day <= todayDay).map((s) => s.loadScore));
  return week !== null && week >= 70;
}

/** SPEC 5.4. */
export function cognitiveLoad(input: {
  events: EventRow[];
  sessions: SessionRow[];
  responseTimes: { last24h: ResponseTimes; last30d: ResponseTimes };
  storedLoadSnapshots: LoadSnapshotRow[];
  now: Date;
}): CognitiveLoad {
  const { events, sessions, now } = input;
  const studyMinutes24h = sessions.filter((s) => inWindow(s.endedAt, now, DAY_MS)).reduce((sum, s) => sum + sessionMinutes(s), 0);
  const m = Math.min(1, studyMinutes24h / 240);

  const latestFive = sessions
    .filter((s) => inWindow(s.startedAt, now, 7 * DAY_MS))
    .sort(chronological<SessionRow>((s) => s.startedAt, (s) => s.sessionId))
    .slice(-5);
  const cards = latestFive.reduce((sum, s) => sum + s.cardsReviewed, 0);
  const correct = latestFive.reduce((sum, s) => sum + s.correctCount, 0);
  const errorRate = cards === 0 ? 0 : 1 - correct / cards;

  const mean24h = meanOf(input.responseTimes.last24h);
  const mean30d = meanOf(input.responseTimes.last30d);
  const responseSlowdown = mean24h === null || mean30d === null || mean30d === 0 ? 0 : clamp(mean24h / mean30d - 1, 0, 1);

  const reports = events
    .filter((e) => e.type === 'self_report' && e.stress !== null && inWindow(e.occurredAt, now, DAY_MS))
    .sort(chronological<EventRow>((e) => e.occurredAt, (e) => e.eventId));
  const latestStress = reports.at(-1)?.stress;
  const stress = latestStress == null ? 0 : (latestStress - 1) / 4;

  const loadScore = clamp(100 * (0.4 * m + 0.3 * errorRate + 0.2 * responseSlowdown + 0.1 * stress), 0, 100);
  const today = utcDay(now);
  const history = loadHistory(input.storedLoadSnapshots, { day: today, loadScore });
  return {
    loadScore,
    level: loadLevel(loadScore),
    components: { studyMinutes24h, errorRate, responseSlowdown, stress },
    history,
    burnoutRisk: burnoutRisk(history, today),
  };
}

