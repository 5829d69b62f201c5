import type { EventType } from '../contracts/behavioral-event';

/**
 * The plain data every formula of SPEC section 5 is computed from. The store's history
 * loader fills exactly this shape with index-backed SQL; tests build it by hand.
 */
export interface EventRow {
  eventId: string;
  userId: string;
  type: EventType;
  occurredAt: Date;
  objectiveId: string | null;
  missionId: string | null;
  correct: boolean | null;
  responseMs: number | null;
  durationMs: number | null;
  successScore: number | null;
  stress: number | null;
  interventionType: string | null;
  contentType: string | null;
}

export interface SessionRow {
  sessionId: string;
  userId: string;
  startedAt: Date;
  endedAt: Date;
  cardsReviewed: number;
  correctCount: number;
}

export interface LoadSnapshotRow {
  /** UTC day, YYYY-MM-DD. */
  day: string;
  loadScore: number;
}

export interface UserHistory {
  userId: string;
  now: Date;
  /** Every event with occurredAt in (now − 90 d, now], any type. */
  recentEvents: EventRow[];
  /** mission_started / mission_completed / mission_abandoned of any age, occurredAt ≤ now. */
  missionEvents: EventRow[];
  /** intervention_applied events of any age, occurredAt ≤ now. */
  interventionEvents: EventRow[];
  /** card_reviewed events of the objectives named by interventions, within 14 d of one of them (a superset is fine). */
  interventionReviews: EventRow[];
  /** For each objective reviewed in the 90 days: at least its 10 latest card reviews of any age (≤ now), any order (the formulas keep the 10 latest). */
  latestReviewsByObjective: Record<string, EventRow[]>;
  /** Sessions with startedAt in (now − 90 d, now], plus any whose endedAt is in (now − 24 h, now]. */
  sessions: SessionRow[];
  /** Stored daily load snapshots of the last 14 UTC days; today's, if present, is replaced. */
  storedLoadSnapshots: LoadSnapshotRow[];
  /** All time. */
  totals: { events: number; sessions: number; lastActivityAt: Date | null };
}

export function emptyHistory(userId: string, now: Date): UserHistory {
  return {
    userId,
    now,
    recentEvents: [],
    missionEvents: [],
    interventionEvents: [],
    interventionReviews: [],
    latestReviewsByObjective: {},
    sessions: [],
    storedLoadSnapshots: [],
    totals: { events: 0, sessions: 0, lastActivityAt: null },
  };
}
