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

function column<T, V>(rows: T[], pick: (row: T) => V | undefined): (V | null)[] {
  return rows.map((row) => {
    const value = pick(row);
    return value === undefined ? null : value;
  });
}

/** Promotes the properties the aggregates filter and sum on to columns. */
function promoted(event: BehavioralEvent) {
  const p = event.properties as Record<string, unknown>;
  return {
    objectiveId: p.objectiveId as string | undefined,
    missionId: p.missionId as string | undefined,
    sessionId: p.sessionId as string | undefined,
    correct: p.correct as boolean | undefined,
    responseMs: p.responseMs as number | undefined,
    durationMs: p.durationMs as number | undefined,
    successScore: p.successScore as number | undefined,
    stress: p.stress as number | undefined,
    interventionType: p.interventionType as string | undefined,
    contentType: p.contentType as string | undefined,
  };
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
    [activity.map((a) => a.userId), activity.map((a) => a.at)],
  );
}

export async function insertEvents(db: Queryable, events: BehavioralEvent[]): Promise<InsertResult> {
  if (events.length === 0) return { inserted: 0, userIds: [] };
  const cols = events.map(promoted);
  const result = await db.query<{ user_id: string }>(
    `INSERT INTO behavioral_events (event_id, user_id, type, occurred_at, properties, objective_id, mission_id, session_id,
       correct, response_ms, duration_ms, success_score, stress, intervention_type, content_type)
     SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::timestamptz[], $5::jsonb[], $6::varchar[], $7::varchar[],
       $8::varchar[], $9::boolean[], $10::int[], $11::bigint[], $12::float8[], $13::smallint[], $14::varchar[], $15::varchar[])
     ON CONFLICT (event_id) DO NOTHING
     RETURNING user_id`,
    [
      events.map((e) => e.eventId),
      events.map((e) => e.userId),
      events.map((e) => e.type),
      events.map((e) => e.occurredAt),
      events.map((e) => JSON.stringify(e.properties)),
      column(cols, (c) => c.objectiveId),
      column(cols, (c) => c.missionId),
      column(cols, (c) => c.sessionId),
      column(cols, (c) => c.correct),
      column(cols, (c) => c.responseMs),
      column(cols, (c) => c.durationMs),
      column(cols, (c) => c.successScore),
      column(cols, (c) => c.stress),
      column(cols, (c) => c.interventionType),
      column(cols, (c) => c.contentType),
    ],
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
    [
      sessions.map((s) => s.sessionId),
      sessions.map((s) => s.userId),
      sessions.map((s) => s.startedAt),
      sessions.map((s) => s.endedAt),
      sessions.map((s) => s.cardsReviewed),
      sessions.map((s) => s.correctCount),
      column(sessions, (s) => s.avgResponseMs),
      column(sessions, (s) => s.missionId),
      sessions.map((s) => JSON.stringify(s.objectiveIds ?? [])),
    ],
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
