/**
 * Idempotent, batched storage of raw rows: one multi-row INSERT … ON CONFLICT DO NOTHING
 * per batch, so the same eventId/sessionId — redelivered, stalled, or sent both through
 * BullMQ and HTTP — is stored once, and a batch of 1,000 is one round trip.
 */
import type { BehavioralEvent } from '../contracts/behavioral-event';
import type { SessionCompleted } from '../contracts/session-completed';
import type { Queryable } from '../db/database';

export interface InsertResult {
  inserted: number;
  userIds: string[];
}

/**
 * The array parameters of an `INSERT … SELECT * FROM unnest(...)`: one array per column,
 * from each row's values in column order (undefined stored as NULL).
 */
function columns<T>(rows: readonly T[], valuesOf: (row: T) => unknown[]): unknown[][] {
  const out: unknown[][] = [];
  rows.forEach((row, r) => {
    valuesOf(row).forEach((value, c) => {
      (out[c] ??= new Array(rows.length))[r] = value === undefined ? null : value;
    });
  });
  return out;
}

/** An event's values in behavioral_events' column order; the properties the aggregates filter and sum on are promoted to columns. */
function eventValues(event: BehavioralEvent): unknown[] {
  const p = event.properties as Record<string, unknown>;
  return [
    event.eventId,
    event.userId,
    event.type,
    event.occurredAt,
    JSON.stringify(event.properties),
    p.objectiveId,
    p.missionId,
    p.sessionId,
    p.correct,
    p.responseMs,
    p.durationMs,
    p.successScore,
    p.stress,
    p.interventionType,
    p.contentType,
  ];
}

/**
 * Records the users' latest activity and bumps their ingest_version, AFTER their rows are
 * stored: a computation whose snapshot sees the new version sees the rows too, so its
 * watermark orders it after every computation that could have missed them.
 */
async function touchUsers(db: Queryable, activity: { userId: string; at: string }[]): Promise<void> {
  if (activity.length === 0) return;
  // Sorted, so concurrent batches lock users in the same order (no deadlocks between them).
  await db.query(
    `INSERT INTO analytics_users (user_id, last_activity_at, ingest_version)
     SELECT u, max(t), 1 FROM unnest($1::varchar[], $2::timestamptz[]) AS x(u, t) GROUP BY u ORDER BY u
     ON CONFLICT (user_id) DO UPDATE SET last_activity_at = GREATEST(analytics_users.last_activity_at, EXCLUDED.last_activity_at),
       ingest_version = analytics_users.ingest_version + 1`,
    columns(activity, (a) => [a.userId, a.at]),
  );
}

export async function insertEvents(db: Queryable, events: BehavioralEvent[]): Promise<InsertResult> {
  if (events.length === 0) return { inserted: 0, userIds: [] };
  const result = await db.query<{ user_id: string }>(
    `INSERT INTO behavioral_events (event_id, user_id, type, occurred_at, properties, objective_id, mission_id, session_id,
       correct, response_ms, duration_ms, success_score, stress, intervention_type, content_type)
     SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::timestamptz[], $5::jsonb[], $6::varchar[], $7::varchar[],
       $8::varchar[], $9::boolean[], $10::int[], $11::bigint[], $12::float8[], $13::smallint[], $14::varchar[], $15::varchar[])
     ON CONFLICT (event_id) DO NOTHING
     RETURNING user_id`,
    columns(events, eventValues),
  );
  await touchUsers(db, events.map((e) => ({ userId: e.userId, at: e.occurredAt })));
  return { inserted: result.rowCount ?? 0, userIds: [...new Set(result.rows.map((r) => r.user_id))] };
}

export async function insertSessions(db: Queryable, sessions: SessionCompleted[]): Promise<InsertResult> {
  if (sessions.length === 0) return { inserted: 0, userIds: [] };
  const result = await db.query<{ user_id: string }>(
    `INSERT INTO study_sessions (session_id, user_id, started_at, ended_at, cards_reviewed, correct_count, avg_response_ms, mission_id, objective_ids)
     SELECT s, u, st, en, c, k, a, m, COALESCE((SELECT array_agg(x) FROM jsonb_array_elements_text(o) x), ARRAY[]::varchar[])
     FROM unnest($1::varchar[], $2::varchar[], $3::timestamptz[], $4::timestamptz[], $5::int[], $6::int[], $7::int[], $8::varchar[], $9::jsonb[])
       AS x(s, u, st, en, c, k, a, m, o)
     ON CONFLICT (session_id) DO NOTHING
     RETURNING user_id`,
    columns(sessions, (s) => [s.sessionId, s.userId, s.startedAt, s.endedAt, s.cardsReviewed, s.correctCount, s.avgResponseMs, s.missionId, JSON.stringify(s.objectiveIds ?? [])]),
  );
  await touchUsers(db, sessions.map((s) => ({ userId: s.userId, at: s.endedAt })));
  return { inserted: result.rowCount ?? 0, userIds: [...new Set(result.rows.map((r) => r.user_id))] };
}

/** After raw rows of users were deleted: the computations that still counted them become older than the next one. */
export async function bumpIngestVersions(db: Queryable, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  await db.query('UPDATE analytics_users SET ingest_version = ingest_version + 1 WHERE user_id = ANY($1::varchar[])', [[...new Set(userIds)].sort()]);
}

/** How many of a user's raw rows were received after `since` (all of them when null). */
export async function countRowsReceivedSince(db: Queryable, userId: string, since: Date | null): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT (SELECT count(*) FROM behavioral_events WHERE user_id = $1 AND ($2::timestamptz IS NULL OR received_at > $2))
          + (SELECT count(*) FROM study_sessions WHERE user_id = $1 AND ($2::timestamptz IS NULL OR received_at > $2)) AS n`,
    [userId, since],
  );
  return Number(rows[0]?.n ?? 0);
}

/** Deletes a user's raw rows older than `cutoff` (events by occurredAt, sessions by startedAt); returns how many went. */
export async function deleteRawRowsBefore(db: Queryable, userId: string, cutoff: Date): Promise<number> {
  const events = await db.query('DELETE FROM behavioral_events WHERE user_id = $1 AND occurred_at < $2', [userId, cutoff]);
  const sessions = await db.query('DELETE FROM study_sessions WHERE user_id = $1 AND started_at < $2', [userId, cutoff]);
  return (events.rowCount ?? 0) + (sessions.rowCount ?? 0);
}

/**
 * The most active users whose most frequent session start hour (UTC) over the window is
 * `hour`, most sessions first: whom cache warming refreshes before their usual hour.
 */
export async function usersWhoUsuallyStudyAt(db: Queryable, options: { hour: number; since: Date; until: Date; limit: number }): Promise<string[]> {
  const { rows } = await db.query<{ user_id: string }>(
    `SELECT user_id FROM (
       SELECT s.user_id, mode() WITHIN GROUP (ORDER BY extract(hour FROM s.started_at AT TIME ZONE 'UTC')) AS usual_hour, count(*) AS sessions
       FROM analytics_users u JOIN study_sessions s ON s.user_id = u.user_id AND s.started_at > $1 AND s.started_at <= $4
       WHERE u.last_activity_at > $1
       GROUP BY s.user_id) t
     WHERE usual_hour = $2 ORDER BY sessions DESC, user_id LIMIT $3`,
    [options.since, options.hour, options.limit, options.until],
  );
  return rows.map((r) => r.user_id);
}
