/**
 * Loads the plain data the formulas need (UserHistory) for a batch of users in ONE
 * statement: one row per user whose columns are the user's rows as compact JSON arrays.
 * One statement is one snapshot (every aggregate of a computation sees the same rows) and
 * one round trip, whatever the batch size; each part is an index-backed scan of the user's
 * own rows in the windows the formulas look at, so the size of the tables does not matter.
 *
 * Rows inside the 90-day window are sent once: missions, interventions and the latest
 * reviews of an objective come from the 90-day rows where they can, and only their older
 * part is read separately.
 */
import type { Queryable } from '../db/database';
import { addDays, DAY_MS, utcDay } from '../aggregates/math';
import { isMissionEvent, MISSION_TYPES } from '../aggregates/user-digest';
import type { EventRow, SessionRow, UserHistory } from '../aggregates/user-history';
import { epochMs, eventArraySql, eventRowsFromArrays } from './event-columns';

const EVENT_ARRAY = eventArraySql('e');
const SESSION_ARRAY = `json_build_array(s.session_id, ${epochMs('s.started_at')}, ${epochMs('s.ended_at')}, s.cards_reviewed, s.correct_count)`;
const MISSION_TYPE_LIST = `(${MISSION_TYPES.map((type) => `'${type}'`).join(', ')})`;

/**
 * $1 users, $2 now − 90 d, $3 now, $4 now − 24 h, $5 first day of the load-snapshot window.
 * Ids are ordered with COLLATE "C" (code points, SPEC 5's tie-break) whatever the
 * database's collation.
 *
 * A row exists for a computation once its time is reached (an event at its occurredAt, a
 * session at its endedAt; SPEC 3 accepts both up to 5 minutes ahead): every part, the totals
 * included, is bounded by $3, so all aggregates of one computation describe the same rows.
 * `next_visible_ms` is when the earliest row still ahead becomes visible (the recompute to
 * schedule then); `watermark` is the user's ingest_version in this snapshot.
 */
const LOAD_HISTORIES = `
SELECT u.user_id,
  (SELECT json_agg(${EVENT_ARRAY}) FROM behavioral_events e
     WHERE e.user_id = u.user_id AND e.occurred_at > $2 AND e.occurred_at <= $3) AS recent,
  (SELECT json_agg(${EVENT_ARRAY}) FROM behavioral_events e
     WHERE e.user_id = u.user_id AND e.occurred_at <= $2 AND e.type IN ${MISSION_TYPE_LIST}) AS older_missions,
  (SELECT json_agg(${EVENT_ARRAY}) FROM behavioral_events e
     WHERE e.user_id = u.user_id AND e.occurred_at <= $2 AND e.type = 'intervention_applied') AS older_interventions,
  (SELECT json_agg(${EVENT_ARRAY}) FROM (
     SELECT DISTINCT r.objective_id FROM behavioral_events r
     WHERE r.user_id = u.user_id AND r.type = 'card_reviewed' AND r.objective_id IS NOT NULL AND r.occurred_at > $2 AND r.occurred_at <= $3) o
   CROSS JOIN LATERAL (
     SELECT * FROM behavioral_events x
     WHERE x.user_id = u.user_id AND x.objective_id = o.objective_id AND x.type = 'card_reviewed' AND x.occurred_at <= $2
     ORDER BY x.occurred_at DESC, x.event_id COLLATE "C" DESC LIMIT 10) e) AS older_latest_reviews,
  (SELECT json_agg(${EVENT_ARRAY}) FROM behavioral_events e
     WHERE e.user_id = u.user_id AND e.type = 'card_reviewed' AND e.occurred_at <= $2
       AND e.objective_id IN (SELECT i.objective_id FROM behavioral_events i WHERE i.user_id = u.user_id AND i.type = 'intervention_applied' AND i.occurred_at <= $3)
       AND EXISTS (
         SELECT 1 FROM behavioral_events i
         WHERE i.user_id = u.user_id AND i.type = 'intervention_applied' AND i.objective_id = e.objective_id AND i.occurred_at <= $3
           AND e.occurred_at > i.occurred_at - interval '14 days' AND e.occurred_at < i.occurred_at + interval '14 days')) AS older_intervention_reviews,
  (SELECT json_agg(${SESSION_ARRAY}) FROM study_sessions s
     WHERE s.user_id = u.user_id AND s.ended_at <= $3 AND (s.started_at > $2 OR s.ended_at > $4)) AS sessions,
  (SELECT json_agg(json_build_array(to_char(c.day, 'YYYY-MM-DD'), c.load_score)) FROM cognitive_load_snapshots c
     WHERE c.user_id = u.user_id AND c.day >= $5::date) AS snapshots,
  (SELECT count(*)::int FROM behavioral_events e WHERE e.user_id = u.user_id AND e.occurred_at <= $3) AS total_events,
  (SELECT count(*)::int FROM study_sessions s WHERE s.user_id = u.user_id AND s.ended_at <= $3) AS total_sessions,
  (extract(epoch from GREATEST(
     (SELECT max(e.occurred_at) FROM behavioral_events e WHERE e.user_id = u.user_id AND e.occurred_at <= $3),
     (SELECT max(s.ended_at) FROM study_sessions s WHERE s.user_id = u.user_id AND s.ended_at <= $3))) * 1000)::float8 AS last_activity_ms,
  (extract(epoch from LEAST(
     (SELECT min(e.occurred_at) FROM behavioral_events e WHERE e.user_id = u.user_id AND e.occurred_at > $3),
     (SELECT min(s.ended_at) FROM study_sessions s WHERE s.user_id = u.user_id AND s.ended_at > $3))) * 1000)::float8 AS next_visible_ms,
  COALESCE((SELECT a.ingest_version FROM analytics_users a WHERE a.user_id = u.user_id), 0)::float8 AS watermark
FROM unnest($1::varchar[]) AS u(user_id)`;

type SessionArray = [string, number, number, number, number];

interface HistoryRecord {
  user_id: string;
  recent: unknown[][] | null;
  older_missions: unknown[][] | null;
  older_interventions: unknown[][] | null;
  older_latest_reviews: unknown[][] | null;
  older_intervention_reviews: unknown[][] | null;
  sessions: SessionArray[] | null;
  snapshots: [string, number][] | null;
  total_events: number;
  total_sessions: number;
  last_activity_ms: number | null;
  next_visible_ms: number | null;
  watermark: number;
}

/** A user's history at a computation's "now", and what the save and the scheduler need beside it. */
export interface LoadedHistory {
  history: UserHistory;
  /** The user's ingest_version in the snapshot: orders computations whatever the hosts' clocks. */
  watermark: number;
  /** When the earliest of the user's rows stamped after "now" becomes visible; null if none. */
  nextVisibleAt: Date | null;
}

function toSessionRows(userId: string, arrays: SessionArray[] | null): SessionRow[] {
  if (!arrays) return [];
  return arrays.map((a) => ({ sessionId: a[0], userId, startedAt: new Date(a[1]), endedAt: new Date(a[2]), cardsReviewed: a[3], correctCount: a[4] }));
}

const WINDOW_MS = 14 * DAY_MS;

/** The card reviews among `candidates` within 14 days either side of an intervention on their objective. */
function reviewsInInterventionWindows(candidates: EventRow[], interventions: EventRow[]): EventRow[] {
  const instantsByObjective = new Map<string, number[]>();
  for (const e of interventions) {
    if (e.objectiveId === null) continue;
    const instants = instantsByObjective.get(e.objectiveId);
    if (instants) instants.push(e.occurredAt.getTime());
    else instantsByObjective.set(e.objectiveId, [e.occurredAt.getTime()]);
  }
  if (instantsByObjective.size === 0) return [];
  return candidates.filter((r) => {
    if (r.type !== 'card_reviewed' || r.objectiveId === null) return false;
    const instants = instantsByObjective.get(r.objectiveId);
    const t = r.occurredAt.getTime();
    return instants !== undefined && instants.some((at) => t > at - WINDOW_MS && t < at + WINDOW_MS);
  });
}

/** How many rows a history holds: what a batch is bounded by besides its number of users. */
export function historyRows(history: UserHistory): number {
  return history.recentEvents.length + history.sessions.length + history.missionEvents.length + history.interventionEvents.length + history.interventionReviews.length;
}

function toHistory(record: HistoryRecord, now: Date): UserHistory {
  const userId = record.user_id;
  const recentEvents = eventRowsFromArrays(userId, record.recent);
  const missionEvents = eventRowsFromArrays(userId, record.older_missions);
  const interventionEvents = eventRowsFromArrays(userId, record.older_interventions);
  // No prototype: objective ids such as `constructor` or `__proto__` are valid Ids (SPEC 3).
  const latestReviewsByObjective: Record<string, EventRow[]> = Object.create(null);
  for (const e of recentEvents) {
    if (isMissionEvent(e)) missionEvents.push(e);
    else if (e.type === 'intervention_applied') interventionEvents.push(e);
    else if (e.type === 'card_reviewed' && e.objectiveId !== null) (latestReviewsByObjective[e.objectiveId] ??= []).push(e);
  }
  // A superset of each objective's 10 latest reviews: the formulas keep the 10 latest.
  for (const review of eventRowsFromArrays(userId, record.older_latest_reviews)) latestReviewsByObjective[review.objectiveId!]!.push(review);
  const interventionReviews = [...eventRowsFromArrays(userId, record.older_intervention_reviews), ...reviewsInInterventionWindows(recentEvents, interventionEvents)];
  return {
    userId,
    now,
    recentEvents,
    missionEvents,
    interventionEvents,
    interventionReviews,
    latestReviewsByObjective,
    sessions: toSessionRows(userId, record.sessions),
    storedLoadSnapshots: (record.snapshots ?? []).map(([day, loadScore]) => ({ day, loadScore })),
    totals: {
      events: record.total_events,
      sessions: record.total_sessions,
      lastActivityAt: record.last_activity_ms === null ? null : new Date(record.last_activity_ms),
    },
  };
}

/** The histories of `userIds` at `now`, in one statement; a map by user id. */
export async function loadHistories(db: Queryable, userIds: readonly string[], now: Date): Promise<Map<string, LoadedHistory>> {
  const unique = [...new Set(userIds)];
  const histories = new Map<string, LoadedHistory>();
  if (unique.length === 0) return histories;
  const since90 = new Date(now.getTime() - 90 * DAY_MS);
  const since24h = new Date(now.getTime() - DAY_MS);
  // Named: each connection plans this statement once (planning cost about a quarter of running it).
  const { rows } = await db.query<HistoryRecord>({ name: 'load-histories', text: LOAD_HISTORIES, values: [unique, since90, now, since24h, addDays(utcDay(now), -13)] });
  for (const record of rows) {
    histories.set(record.user_id, {
      history: toHistory(record, now),
      watermark: record.watermark,
      nextVisibleAt: record.next_visible_ms === null ? null : new Date(record.next_visible_ms),
    });
  }
  return histories;
}

export async function loadUserHistory(db: Queryable, userId: string, now: Date): Promise<UserHistory> {
  return (await loadHistories(db, [userId], now)).get(userId)!.history;
}
