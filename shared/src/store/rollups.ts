/**
 * The rollups the digest loader reads instead of months of raw rows (prisma/schema.prisma
 * documents each table). Every rollup row is recomputed from the raw rows it covers —
 * never incremented by a delta — by the statement below, which each transaction that
 * stores or deletes raw rows runs after them, while it holds the row locks of those rows'
 * users (analytics_users): a later transaction for the same users waits for it, and its
 * own refresh then sees every row committed before. So redelivered rows, a crash between
 * statements (the transaction rolls back) and workers running side by side cannot make a
 * rollup drift from its rows.
 */
import type { Queryable } from '../db/database';
import { inTransaction, type TransactionPool } from '../db/transaction';

/** The rollup rows a change of raw rows touches, named by what the changed rows say. */
export interface TouchedRows {
  /** Card reviews stored or deleted: their user, objective and UTC day (YYYY-MM-DD). */
  reviews: { userId: string; objectiveId: string; day: string }[];
  /** Any event stored or deleted (its occurredAt's UTC day), any session (its endedAt's). */
  activity: { userId: string; day: string }[];
  /** Interventions stored or deleted (the reviews near one reach it through `reviews`). */
  interventions: { userId: string; eventId: string }[];
}

const REVIEW_COUNTS = 'reviews, correct, incorrect, response_ms_sum, response_ms_count, latest_at';

/**
 * The CTEs that recompute one card-review rollup (per day, or per ISO week) for its keys:
 * the counts over the raw rows of each key's bucket, the rows saved where reviews remain,
 * and deleted where none do.
 */
function cardReviewCounts(r: { counts: string; table: string; bucket: string; keys: string; key: string; start: string; days: number }): string {
  return `${r.counts} AS (
  SELECT k.u, k.o, k.${r.key}, c.* FROM ${r.keys} k CROSS JOIN LATERAL (
    SELECT count(*)::int AS reviews, count(*) FILTER (WHERE r.correct IS TRUE)::int AS correct, count(*) FILTER (WHERE r.correct IS FALSE)::int AS incorrect,
      coalesce(sum(r.response_ms), 0)::bigint AS response_ms_sum, count(r.response_ms)::int AS response_ms_count, max(r.occurred_at) AS latest_at
    FROM behavioral_events r
    WHERE r.user_id = k.u AND r.objective_id = k.o AND r.type = 'card_reviewed'
      AND r.occurred_at >= (${r.start}::timestamp AT TIME ZONE 'UTC') AND r.occurred_at < ((${r.start} + ${r.days})::timestamp AT TIME ZONE 'UTC')) c
), saved_${r.counts} AS (
  INSERT INTO ${r.table} (user_id, objective_id, ${r.bucket}, ${REVIEW_COUNTS})
  SELECT u, o, ${r.key}, ${REVIEW_COUNTS} FROM ${r.counts} WHERE reviews > 0
  ON CONFLICT (user_id, objective_id, ${r.bucket}) DO UPDATE SET reviews = EXCLUDED.reviews, correct = EXCLUDED.correct, incorrect = EXCLUDED.incorrect,
    response_ms_sum = EXCLUDED.response_ms_sum, response_ms_count = EXCLUDED.response_ms_count, latest_at = EXCLUDED.latest_at
), emptied_${r.counts} AS (
  DELETE FROM ${r.table} t USING ${r.counts} c WHERE c.reviews = 0 AND t.user_id = c.u AND t.objective_id = c.o AND t.${r.bucket} = c.${r.key}`;
}

/**
 * $1–$3: the reviewed (user, objective, day) keys; $4–$5: the (user, day) keys of activity;
 * $6–$7: the (user, event id) of interventions stored or deleted. For each key, the covering
 * rollup row is recomputed from raw rows: written when its rows exist, deleted when none are
 * left (retention). A week is the ISO week of a touched day, recomputed from the raw rows of
 * its 7 days (not from the day rows: every rollup row rests on raw rows alone). An
 * intervention's effect is recomputed when it, or a review of its objective within 14 days
 * of it, changed. Days and weeks are UTC, whatever the session's time zone.
 */
const REFRESH_ROLLUPS = `
WITH review_keys AS (
  SELECT DISTINCT k.u, k.o, k.d FROM unnest($1::varchar[], $2::varchar[], $3::date[]) AS k(u, o, d)
), ${cardReviewCounts({ counts: 'day_counts', table: 'card_review_days', bucket: 'day', keys: 'review_keys', key: 'd', start: 'k.d', days: 1 })}
), week_keys AS (
  SELECT DISTINCT u, o, date_trunc('week', d::timestamp)::date AS w FROM review_keys
), ${cardReviewCounts({ counts: 'week_counts', table: 'card_review_weeks', bucket: 'week', keys: 'week_keys', key: 'w', start: 'k.w', days: 7 })}
), latest_reviews AS (
  SELECT k.u, k.o, c.* FROM (SELECT DISTINCT u, o FROM review_keys) k CROSS JOIN LATERAL (
    SELECT max(x.occurred_at) AS latest_at, count(*)::int AS reviews, count(*) FILTER (WHERE x.correct IS TRUE)::int AS correct FROM (
      SELECT r.occurred_at, r.correct FROM behavioral_events r
      WHERE r.user_id = k.u AND r.objective_id = k.o AND r.type = 'card_reviewed'
      ORDER BY r.occurred_at DESC, r.event_id COLLATE "C" DESC LIMIT 10) x) c
), saved_latest AS (
  INSERT INTO objective_latest_reviews (user_id, objective_id, latest_at, last_ten_reviews, last_ten_correct)
  SELECT u, o, latest_at, reviews, correct FROM latest_reviews WHERE reviews > 0
  ON CONFLICT (user_id, objective_id) DO UPDATE SET latest_at = EXCLUDED.latest_at, last_ten_reviews = EXCLUDED.last_ten_reviews, last_ten_correct = EXCLUDED.last_ten_correct
), emptied_latest AS (
  DELETE FROM objective_latest_reviews t USING latest_reviews c WHERE c.reviews = 0 AND t.user_id = c.u AND t.objective_id = c.o
), activity_counts AS (
  SELECT k.u, k.d,
    (SELECT count(*)::int FROM behavioral_events e WHERE e.user_id = k.u
       AND e.occurred_at >= (k.d::timestamp AT TIME ZONE 'UTC') AND e.occurred_at < ((k.d + 1)::timestamp AT TIME ZONE 'UTC')) AS events,
    (SELECT count(*)::int FROM study_sessions s WHERE s.user_id = k.u
       AND s.ended_at >= (k.d::timestamp AT TIME ZONE 'UTC') AND s.ended_at < ((k.d + 1)::timestamp AT TIME ZONE 'UTC')) AS sessions
  FROM (SELECT DISTINCT k.u, k.d FROM unnest($4::varchar[], $5::date[]) AS k(u, d)) k
), saved_activity AS (
  INSERT INTO activity_days (user_id, day, events, sessions)
  SELECT u, d, events, sessions FROM activity_counts WHERE events + sessions > 0
  ON CONFLICT (user_id, day) DO UPDATE SET events = EXCLUDED.events, sessions = EXCLUDED.sessions
), emptied_activity AS (
  DELETE FROM activity_days t USING activity_counts c WHERE c.events + c.sessions = 0 AND t.user_id = c.u AND t.day = c.d
), effect_keys AS (
  SELECT k.u, k.e FROM unnest($6::varchar[], $7::varchar[]) AS k(u, e)
  UNION
  -- Interventions near a review, found by their effect rows (every stored intervention that
  -- names an objective has one; one stored in this same batch is among $6–$7 already).
  SELECT f.user_id, f.event_id FROM review_keys k JOIN intervention_effects f
    ON f.user_id = k.u AND f.objective_id = k.o
   AND f.applied_at > (k.d::timestamp AT TIME ZONE 'UTC') - interval '14 days' AND f.applied_at < ((k.d + 1)::timestamp AT TIME ZONE 'UTC') + interval '14 days'
), effect_counts AS (
  SELECT k.u, k.e, i.objective_id, i.occurred_at AS applied_at, b.*, a.*
  FROM effect_keys k
  LEFT JOIN behavioral_events i ON i.event_id = k.e AND i.user_id = k.u AND i.type = 'intervention_applied' AND i.objective_id IS NOT NULL
  LEFT JOIN LATERAL (
    SELECT count(*)::int AS before_reviews, count(*) FILTER (WHERE r.correct IS FALSE)::int AS before_incorrect FROM behavioral_events r
    WHERE r.user_id = k.u AND r.objective_id = i.objective_id AND r.type = 'card_reviewed'
      AND r.occurred_at > i.occurred_at - interval '14 days' AND r.occurred_at < i.occurred_at) b ON true
  LEFT JOIN LATERAL (
    SELECT count(*)::int AS after_reviews, count(*) FILTER (WHERE r.correct IS FALSE)::int AS after_incorrect FROM behavioral_events r
    WHERE r.user_id = k.u AND r.objective_id = i.objective_id AND r.type = 'card_reviewed'
      AND r.occurred_at > i.occurred_at AND r.occurred_at < i.occurred_at + interval '14 days') a ON true
), saved_effects AS (
  INSERT INTO intervention_effects (user_id, event_id, objective_id, applied_at, before_reviews, before_incorrect, after_reviews, after_incorrect)
  SELECT u, e, objective_id, applied_at, before_reviews, before_incorrect, after_reviews, after_incorrect FROM effect_counts WHERE objective_id IS NOT NULL
  ON CONFLICT (user_id, event_id) DO UPDATE SET objective_id = EXCLUDED.objective_id, applied_at = EXCLUDED.applied_at,
    before_reviews = EXCLUDED.before_reviews, before_incorrect = EXCLUDED.before_incorrect, after_reviews = EXCLUDED.after_reviews, after_incorrect = EXCLUDED.after_incorrect
), emptied_effects AS (
  DELETE FROM intervention_effects t USING effect_counts c WHERE c.objective_id IS NULL AND t.user_id = c.u AND t.event_id = c.e
)
SELECT 1`;

/** Recomputes every rollup row the touched rows fall in. Run it in the transaction that stored or deleted them, after them. */
export async function refreshRollups(db: Queryable, touched: TouchedRows): Promise<void> {
  const { reviews, activity, interventions } = touched;
  if (reviews.length === 0 && activity.length === 0 && interventions.length === 0) return;
  await db.query({
    name: 'refresh-rollups',
    text: REFRESH_ROLLUPS,
    values: [
      reviews.map((r) => r.userId),
      reviews.map((r) => r.objectiveId),
      reviews.map((r) => r.day),
      activity.map((a) => a.userId),
      activity.map((a) => a.day),
      interventions.map((i) => i.userId),
      interventions.map((i) => i.eventId),
    ],
  });
}

/** A raw row as an INSERT or DELETE … RETURNING reports it: what it touches. */
export interface ChangedRow {
  user_id: string;
  /** An event's id; null for a session. */
  event_id: string | null;
  /** A session's id; null for an event. */
  session_id: string | null;
  type: string | null;
  objective_id: string | null;
  /** The UTC day of its occurredAt (events) or endedAt (sessions), YYYY-MM-DD. */
  day: string;
}

/** The RETURNING list that gives ChangedRow for behavioral_events. */
export const CHANGED_EVENT_COLUMNS = `user_id, event_id, NULL::varchar AS session_id, type, objective_id, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day`;
/** The RETURNING list that gives ChangedRow for study_sessions. */
export const CHANGED_SESSION_COLUMNS = `user_id, NULL::varchar AS event_id, session_id, NULL::varchar AS type, NULL::varchar AS objective_id, to_char(ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day`;

/** What changed rows touch: every row its activity day; card reviews their review day; interventions their effect. */
export function touchedBy(rows: readonly ChangedRow[]): TouchedRows {
  return {
    reviews: rows.flatMap((r) => (r.type === 'card_reviewed' && r.objective_id !== null ? [{ userId: r.user_id, objectiveId: r.objective_id, day: r.day }] : [])),
    activity: rows.map((r) => ({ userId: r.user_id, day: r.day })),
    interventions: rows.flatMap((r) => (r.type === 'intervention_applied' && r.event_id !== null ? [{ userId: r.user_id, eventId: r.event_id }] : [])),
  };
}

/** Every key of a user's raw rows: what a rebuild refreshes (one row per review day, activity day and intervention). */
const ALL_KEYS_OF_USER = `
SELECT DISTINCT user_id, CASE WHEN type = 'intervention_applied' THEN event_id END AS event_id, NULL::varchar AS session_id, CASE WHEN type IN ('card_reviewed', 'intervention_applied') THEN type END AS type,
  CASE WHEN type = 'card_reviewed' THEN objective_id END AS objective_id, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day
FROM behavioral_events WHERE user_id = $1
UNION
SELECT DISTINCT user_id, NULL, NULL, NULL, NULL, to_char(ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM study_sessions WHERE user_id = $1`;

/**
 * Rebuilds one user's rollups from all of their raw rows and marks them ready, so the
 * recompute reads rollups instead of raw rows: for users whose rows were stored before the
 * rollups existed (`pnpm recompute -- --build-rollups`). Idempotent. Its first statement
 * takes the user's row lock, which every ingest of the user waits for; false when the
 * user is unknown (no analytics_users row).
 */
export async function rebuildUserRollups(pool: TransactionPool, userId: string): Promise<boolean> {
  return inTransaction(pool, async (client) => {
    const locked = await client.query('UPDATE analytics_users SET rollups_ready = true WHERE user_id = $1', [userId]);
    if ((locked.rowCount ?? 0) === 0) return false;
    for (const table of ['card_review_days', 'card_review_weeks', 'objective_latest_reviews', 'activity_days', 'intervention_effects']) {
      await client.query(`DELETE FROM ${table} WHERE user_id = $1`, [userId]);
    }
    const { rows } = await client.query<ChangedRow>(ALL_KEYS_OF_USER, [userId]);
    await refreshRollups(client, touchedBy(rows));
    return true;
  });
}
