/**
 * Idempotent, batched storage of raw rows: one multi-row INSERT … ON CONFLICT DO NOTHING
 * per batch, so the same eventId/sessionId — redelivered, stalled, or sent both through
 * BullMQ and HTTP — is stored once. Each batch is one transaction: it takes its users'
 * row locks, stores the rows, and recomputes the rollups they fall in (store/rollups.ts),
 * so rows and rollups commit together or not at all.
 */
import type { BehavioralEvent } from '../contracts/behavioral-event';
import type { SessionCompleted } from '../contracts/session-completed';
import type { Queryable } from '../db/database';
import { inTransaction, type TransactionPool } from '../db/transaction';
import { EVENT_INSERT, eventInsertValues } from './event-columns';
import { CHANGED_EVENT_COLUMNS, CHANGED_SESSION_COLUMNS, refreshRollups, touchedBy, type ChangedRow } from './rollups';

export interface InsertResult {
  inserted: number;
  userIds: string[];
}

/**
 * The array parameters of an `INSERT … SELECT * FROM unnest(...)`: one array per column,
 * from each row's values in column order (undefined stored as NULL). Sessions only: the
 * events' columns are described in event-columns.ts.
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

/**
 * The batch's users' row locks (analytics_users, in id order, so concurrent batches cannot
 * deadlock on them), as a CTE of the statement that stores the rows: it records their
 * latest activity and bumps their ingest_version, so the rows and rollups commit with the
 * new version and a computation whose snapshot sees it sees them too (its watermark orders
 * it after every computation that could have missed them). `users` and `times` name the
 * statement's parameters holding each row's user and time. A user seen for the first time
 * with no raw row stored before has rollups covering all their rows from this batch on
 * (rollups_ready); the statement's snapshot does not see its own rows.
 */
const lockUsers = (users: string, times: string) => `
  INSERT INTO analytics_users (user_id, last_activity_at, ingest_version, rollups_ready)
  SELECT u, max(t), 1, NOT EXISTS (SELECT 1 FROM behavioral_events e WHERE e.user_id = u) AND NOT EXISTS (SELECT 1 FROM study_sessions s WHERE s.user_id = u)
  FROM unnest(${users}::varchar[], ${times}::timestamptz[]) AS x(u, t) GROUP BY u ORDER BY u
  ON CONFLICT (user_id) DO UPDATE SET last_activity_at = GREATEST(analytics_users.last_activity_at, EXCLUDED.last_activity_at),
    ingest_version = analytics_users.ingest_version + 1`;

/**
 * Stores a batch of rows in one transaction: one statement inserts the rows (new ones
 * reported by RETURNING) and takes the users' locks, the next refreshes the rollups the new
 * rows fall in. Its snapshot is taken after the locks: it holds every row committed by the
 * transactions that refreshed these users before, so the last to refresh a rollup counts
 * every row of it. No two batches can deadlock: both parts of the first statement run in
 * the same order in every batch, and in either order a batch waiting on another's
 * uncommitted duplicate row (a redelivered event) never holds a lock that other one waits
 * for — they share the duplicate's user, whose lock the first to get it holds until commit.
 */
async function storeBatch(pool: TransactionPool, insert: (db: Queryable) => Promise<ChangedRow[]>): Promise<InsertResult> {
  return inTransaction(pool, async (client) => {
    const inserted = await insert(client);
    // Only new rows change a rollup: a duplicate's rollups were refreshed in the transaction that stored it.
    await refreshRollups(client, touchedBy(inserted));
    return { inserted: inserted.length, userIds: [...new Set(inserted.map((r) => r.user_id))] };
  });
}

const INSERT_EVENTS = `
WITH locked AS (${lockUsers(EVENT_INSERT.userParam, EVENT_INSERT.timeParam)})
INSERT INTO behavioral_events (${EVENT_INSERT.columns})
SELECT * FROM ${EVENT_INSERT.unnest}
ON CONFLICT (event_id) DO NOTHING
RETURNING ${CHANGED_EVENT_COLUMNS}`;

export async function insertEvents(pool: TransactionPool, events: BehavioralEvent[]): Promise<InsertResult> {
  if (events.length === 0) return { inserted: 0, userIds: [] };
  return storeBatch(pool, async (db) => (await db.query<ChangedRow>({ name: 'insert-events', text: INSERT_EVENTS, values: eventInsertValues(events) })).rows);
}

const INSERT_SESSIONS = `
WITH locked AS (${lockUsers('$2', '$4')})
INSERT INTO study_sessions (session_id, user_id, started_at, ended_at, cards_reviewed, correct_count, avg_response_ms, mission_id, objective_ids)
SELECT s, u, st, en, c, k, a, m, COALESCE((SELECT array_agg(x) FROM jsonb_array_elements_text(o) x), ARRAY[]::varchar[])
FROM unnest($1::varchar[], $2::varchar[], $3::timestamptz[], $4::timestamptz[], $5::int[], $6::int[], $7::int[], $8::varchar[], $9::jsonb[])
  AS x(s, u, st, en, c, k, a, m, o)
ON CONFLICT (session_id) DO NOTHING
RETURNING ${CHANGED_SESSION_COLUMNS}`;

export async function insertSessions(pool: TransactionPool, sessions: SessionCompleted[]): Promise<InsertResult> {
  if (sessions.length === 0) return { inserted: 0, userIds: [] };
  const values = columns(sessions, (s) => [s.sessionId, s.userId, s.startedAt, s.endedAt, s.cardsReviewed, s.correctCount, s.avgResponseMs, s.missionId, JSON.stringify(s.objectiveIds ?? [])]);
  return storeBatch(pool, async (db) => (await db.query<ChangedRow>({ name: 'insert-sessions', text: INSERT_SESSIONS, values })).rows);
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

/**
 * Deletes a user's raw rows older than `cutoff` (events by occurredAt, sessions by
 * startedAt) in one transaction that bumps the user's ingest_version first (the
 * computations that still counted them become older than the next one) and recomputes the
 * rollups the deleted rows fell in; returns how many rows went.
 */
export async function deleteRawRowsBefore(pool: TransactionPool, userId: string, cutoff: Date): Promise<number> {
  return inTransaction(pool, async (client) => {
    await client.query('UPDATE analytics_users SET ingest_version = ingest_version + 1 WHERE user_id = $1', [userId]);
    const events = await client.query<ChangedRow>(`DELETE FROM behavioral_events WHERE user_id = $1 AND occurred_at < $2 RETURNING ${CHANGED_EVENT_COLUMNS}`, [userId, cutoff]);
    const sessions = await client.query<ChangedRow>(`DELETE FROM study_sessions WHERE user_id = $1 AND started_at < $2 RETURNING ${CHANGED_SESSION_COLUMNS}`, [userId, cutoff]);
    const deleted = [...events.rows, ...sessions.rows];
    await refreshRollups(client, touchedBy(deleted));
    return deleted.length;
  });
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
