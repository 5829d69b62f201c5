import { aggregatesOfHistory, type ComputedAggregates } from '@shared/aggregates/compute-user-aggregates';
import type { EventRow, SessionRow } from '@shared/aggregates/user-history';
import type { BehavioralEvent } from '@shared/contracts/behavioral-event';
import type { SessionCompleted } from '@shared/contracts/session-completed';
import type { Database } from '@shared/db/database';
import { readAggregate } from '@shared/store/aggregate-store';
import { historyOf } from './history-builder';

/**
 * What a user's aggregates must be, computed in the test straight from what was published
 * (deduplicated by id), without the store's SQL. This is not an independent computation: it
 * runs the same formulas (`computeUserAggregates`) over the published rows, so it is an oracle
 * for the pipeline and storage (ingest, dedup, the loader's SQL, what is stored and served), never
 * for the formulas themselves: a wrong formula would be wrong on both sides. The formulas are
 * checked against hand-worked SPEC cases in test/golden/.
 */
export function toEventRow(e: BehavioralEvent): EventRow {
  const p = e.properties as Record<string, unknown>;
  const pickNumber = (k: string) => (typeof p[k] === 'number' ? (p[k] as number) : null);
  return {
    eventId: e.eventId,
    userId: e.userId,
    type: e.type,
    occurredAt: new Date(e.occurredAt),
    objectiveId: (p.objectiveId as string | undefined) ?? null,
    missionId: (p.missionId as string | undefined) ?? null,
    correct: typeof p.correct === 'boolean' ? p.correct : null,
    responseMs: pickNumber('responseMs'),
    durationMs: pickNumber('durationMs'),
    successScore: pickNumber('successScore'),
    stress: pickNumber('stress'),
    interventionType: (p.interventionType as string | undefined) ?? null,
    contentType: (p.contentType as string | undefined) ?? null,
  };
}

export function toSessionRow(s: SessionCompleted): SessionRow {
  return { sessionId: s.sessionId, userId: s.userId, startedAt: new Date(s.startedAt), endedAt: new Date(s.endedAt), cardsReviewed: s.cardsReviewed, correctCount: s.correctCount };
}

/**
 * A computation at `now` sees the rows whose time has come (SPEC 6: an event stamped ahead
 * becomes visible at its occurredAt, a session at its endedAt), totals included.
 */
export function expectedAggregates(userId: string, published: { events: BehavioralEvent[]; sessions: SessionCompleted[] }, now: Date): ComputedAggregates {
  const dedupedEvents = new Map(published.events.filter((e) => e.userId === userId).map((e) => [e.eventId, toEventRow(e)]));
  const dedupedSessions = new Map(published.sessions.filter((s) => s.userId === userId).map((s) => [s.sessionId, toSessionRow(s)]));
  const events = [...dedupedEvents.values()].filter((e) => e.occurredAt.getTime() <= now.getTime());
  const sessions = [...dedupedSessions.values()].filter((s) => s.endedAt.getTime() <= now.getTime());
  const times = [...events.map((e) => e.occurredAt.getTime()), ...sessions.map((s) => s.endedAt.getTime())];
  return aggregatesOfHistory(
    historyOf(events, sessions, { userId, totals: { events: events.length, sessions: sessions.length, lastActivityAt: times.length ? new Date(Math.max(...times)) : null } }, now),
  );
}

/**
 * Every stored aggregate of `userId` equals the oracle's, computed from `published` at the
 * instant the pipeline stored them (`computedAt`, which the check pins too).
 */
export async function expectStoredAggregates(
  pool: Pick<Database['pool'], 'query'>,
  userId: string,
  published: { events: BehavioralEvent[]; sessions: SessionCompleted[] },
  computedAt: Date,
): Promise<void> {
  for (const { aggregate, period, data } of expectedAggregates(userId, published, computedAt).entries) {
    const stored = await readAggregate(pool, userId, aggregate, period);
    expect({ userId, aggregate, period, computedAt: stored?.computedAt, data: stored?.data }).toEqual({
      userId,
      aggregate,
      period,
      computedAt: computedAt.toISOString(),
      data: JSON.parse(JSON.stringify(data)),
    });
  }
}
