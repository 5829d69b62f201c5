import { event } from '../support/history-builder';
import type { Period } from '@shared/contracts/analytics-query';
import type { ContentType, InterventionType } from '@shared/contracts/behavioral-event';
import type { EventRow, LoadSnapshotRow, SessionRow } from '@shared/aggregates/user-history';

/**
 * The vocabulary of the golden cases: one constructor per raw row, every instant written
 * out as an ISO string so a reader can check each window edge against the SPEC with a
 * pencil. Nothing here computes an aggregate.
 */

/** The raw rows of one user as the database holds them, and what that user's aggregate must be. */
export interface GoldenCase<Expected> {
  /** What the case pins (the test's name): the SPEC rule it would catch breaking. */
  pins: string;
  /** The instant of the computation. */
  now: string;
  /** Every behavioral event of the user, of any age (even after `now`). */
  events?: EventRow[];
  /** Every session of the user. */
  sessions?: SessionRow[];
  /** The rows of the daily load-snapshot table before this computation. */
  storedLoadSnapshots?: LoadSnapshotRow[];
  /** Worked out by hand from the SPEC text, never by running the code. */
  expected: Expected;
}

/** For the aggregates with a period (missions/summary, struggle-reduction): the expected data of each period listed. */
export type ByPeriod<T> = Partial<Record<Period, T>>;

export const MIN = 60_000;

function row(eventId: string, type: EventRow['type'], at: string, fields: Partial<EventRow>): EventRow {
  return event(type, new Date(at), { eventId, userId: 'golden-user', ...fields });
}

/** `card_reviewed`; responseMs 1000 unless the case is about response times. */
export const review = (eventId: string, at: string, objectiveId: string, correct: boolean, responseMs = 1000) =>
  row(eventId, 'card_reviewed', at, { objectiveId, correct, responseMs });

export const missionStarted = (eventId: string, at: string) => row(eventId, 'mission_started', at, { missionId: 'm1' });

export const missionCompleted = (eventId: string, at: string, successScore: number, durationMinutes: number) =>
  row(eventId, 'mission_completed', at, { missionId: 'm1', successScore, durationMs: durationMinutes * MIN });

export const missionAbandoned = (eventId: string, at: string) => row(eventId, 'mission_abandoned', at, { missionId: 'm1' });

export const selfReport = (eventId: string, at: string, stress: number) => row(eventId, 'self_report', at, { stress });

export const interventionApplied = (eventId: string, at: string, interventionType: InterventionType, objectiveId: string | null) =>
  row(eventId, 'intervention_applied', at, { interventionType, objectiveId });

export const contentViewed = (eventId: string, at: string, contentType: ContentType, durationMs: number) =>
  row(eventId, 'content_viewed', at, { contentType, durationMs });

export const searchPerformed = (eventId: string, at: string) => row(eventId, 'search_performed', at, {});

/** A session from `startedAt` to `endedAt` with `cards` cards reviewed, `correct` of them correct. */
export function session(sessionId: string, startedAt: string, endedAt: string, cards: number, correct: number): SessionRow {
  return { sessionId, userId: 'golden-user', startedAt: new Date(startedAt), endedAt: new Date(endedAt), cardsReviewed: cards, correctCount: correct };
}

/** The 24 `byHourOfDay` / `stressByHourOfDay` entries: the hours listed, every other hour empty. */
export function hours<T extends object>(empty: T, listed: Record<number, T>): ({ hour: number } & T)[] {
  return Array.from({ length: 24 }, (_, hour) => ({ hour, ...(listed[hour] ?? empty) }));
}

/** The 7 `byDayOfWeek` entries (0 = Sunday): the days listed, every other day empty. */
export function weekdays(listed: Record<number, { sessions: number; minutes: number }>) {
  return Array.from({ length: 7 }, (_, day) => ({ day, ...(listed[day] ?? { sessions: 0, minutes: 0 }) }));
}

/**
 * One review of `objectiveId` per mark, a minute apart from `firstAt`: '✓' correct,
 * '✗' incorrect; ids `${idPrefix}-1`, `${idPrefix}-2`, … So '✓✓✗' from 08:00 is two correct
 * reviews at 08:00 and 08:01 and an incorrect one at 08:02.
 */
export function reviewsFrom(idPrefix: string, objectiveId: string, firstAt: string, marks: string, responseMs = 1000): EventRow[] {
  return Array.from(marks).map((mark, i) => {
    if (mark !== '✓' && mark !== '✗') throw new Error(`unknown review mark ${mark}`);
    const at = new Date(Date.parse(firstAt) + i * MIN).toISOString();
    return review(`${idPrefix}-${i + 1}`, at, objectiveId, mark === '✓', responseMs);
  });
}
