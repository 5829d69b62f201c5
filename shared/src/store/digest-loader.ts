/**
 * Loads what the formulas read (UserDigest) for a batch of users in ONE statement: one row
 * per user, one snapshot for every aggregate of a computation, one round trip. Card
 * reviews are never shipped one by one: PostgreSQL sums them per objective from the
 * rollups (store/rollups.ts) — ISO weeks inside a window, days beside them — plus the raw
 * rows of each window's partial first day and of today, as TimescaleDB's real-time
 * aggregates combine materialized buckets with the raw rows past them. Its cost follows
 * the windows (a dozen weeks and a few days per objective), not the length of the history.
 * What needs rows stays row-based, each bounded by its own definition: sessions of the 90
 * days, self reports of 30, content and searches of 7, missions and interventions.
 *
 * Users whose rollups are not built yet (rows stored before they existed) are read from
 * their raw rows instead (history-loader.ts), until `pnpm recompute -- --build-rollups`.
 */
import type { Queryable } from '../db/database';
import { addDays, DAY_MS, utcDay } from '../aggregates/math';
import { digestOfHistory, type InterventionEffect, type ObjectiveReviews, type UserDigest } from '../aggregates/user-digest';
import type { SessionRow } from '../aggregates/user-history';
import { epochMs, eventColumnsSql, eventRowsFromColumns } from './event-columns';
import { loadHistories } from './history-loader';
import { windowPieces, type WindowPieces } from './window-pieces';

/** A user's digest at a computation's "now", and what the save and the scheduler need beside it. */
export interface LoadedDigest {
  digest: UserDigest;
  /** The user's ingest_version in the snapshot: orders computations whatever the hosts' clocks. */
  watermark: number;
  /** When the earliest of the user's rows stamped after "now" becomes visible; null if none. */
  nextVisibleAt: Date | null;
}

const CARD_REVIEW = `r.type = 'card_reviewed' AND r.objective_id IS NOT NULL`;
const WEEK_COLUMNS = 'w.objective_id, w.reviews, w.correct, w.response_ms_sum, w.response_ms_count, w.latest_at';
const DAY_COLUMNS = 'd.objective_id, d.reviews, d.correct, d.response_ms_sum, d.response_ms_count, d.latest_at';
const RAW_COLUMNS = 'r.objective_id, 1, (r.correct IS TRUE)::int, coalesce(r.response_ms, 0)::bigint, (r.response_ms IS NOT NULL)::int, r.occurred_at';

/**
 * Each part of the 90- and 30-day windows (window-pieces.ts) as rows of (objective,
 * reviews, correct, Σ responseMs, count, latest, in 90 d, in 30 d), then summed per objective.
 * $2 now; $3 now − 90 d; $4 now − 30 d; $8 start of the day after now − 90 d; $9 the same
 * for 30 d; $10 start of today; $11–$13 the first full weeks of the 90 and 30 days and the
 * first week after them (Mondays); $14–$16 the days of now − 90 d, now − 30 d and today.
 */
const OBJECTIVE_WINDOWS = `
  SELECT x.objective_id, sum(x.reviews) FILTER (WHERE x.in90)::int AS r90, sum(x.correct) FILTER (WHERE x.in90)::int AS c90,
    coalesce(sum(x.reviews) FILTER (WHERE x.in30), 0)::int AS r30, coalesce(sum(x.correct) FILTER (WHERE x.in30), 0)::int AS c30,
    coalesce(sum(x.response_ms_sum) FILTER (WHERE x.in30), 0)::float8 AS rs30, coalesce(sum(x.response_ms_count) FILTER (WHERE x.in30), 0)::int AS rc30,
    max(x.latest_at) AS latest_at
  FROM (
    SELECT ${WEEK_COLUMNS}, true AS in90, false AS in30 FROM card_review_weeks w WHERE w.user_id = u.user_id AND w.week >= $11 AND w.week < $12
    UNION ALL SELECT ${WEEK_COLUMNS}, true, true FROM card_review_weeks w WHERE w.user_id = u.user_id AND w.week >= $12 AND w.week < $13
    UNION ALL SELECT ${DAY_COLUMNS}, true, false FROM card_review_days d WHERE d.user_id = u.user_id AND d.day > $14 AND d.day < $11
    UNION ALL SELECT ${DAY_COLUMNS}, false, true FROM card_review_days d WHERE d.user_id = u.user_id AND d.day > $15 AND d.day < $12
    UNION ALL SELECT ${DAY_COLUMNS}, true, true FROM card_review_days d WHERE d.user_id = u.user_id AND d.day >= $13 AND d.day < $16
    UNION ALL SELECT ${RAW_COLUMNS}, true, false FROM behavioral_events r WHERE r.user_id = u.user_id AND ${CARD_REVIEW} AND r.occurred_at > $3 AND r.occurred_at < $8
    UNION ALL SELECT ${RAW_COLUMNS}, false, true FROM behavioral_events r WHERE r.user_id = u.user_id AND ${CARD_REVIEW} AND r.occurred_at > $4 AND r.occurred_at < $9
    UNION ALL SELECT ${RAW_COLUMNS}, true, true FROM behavioral_events r WHERE r.user_id = u.user_id AND ${CARD_REVIEW} AND r.occurred_at >= $10 AND r.occurred_at <= $2
  ) x
  GROUP BY x.objective_id
  HAVING coalesce(sum(x.reviews) FILTER (WHERE x.in90), 0) > 0`;

/**
 * The 10 latest reviews of an objective (any age, ≤ now), from its objective_latest_reviews
 * row when that row's latest review is not after now; otherwise (a review stamped ahead of
 * the clock, or a computation at a past instant) from the raw rows, by index.
 */
const LAST_TEN = `
  CASE WHEN l.latest_at <= $2 THEN json_build_array(l.last_ten_reviews, l.last_ten_correct) ELSE (
    SELECT json_build_array(count(*), count(*) FILTER (WHERE t.correct IS TRUE)) FROM (
      SELECT r.correct FROM behavioral_events r
      WHERE r.user_id = u.user_id AND r.objective_id = o.objective_id AND r.type = 'card_reviewed' AND r.occurred_at <= $2
      ORDER BY r.occurred_at DESC, r.event_id COLLATE "C" DESC LIMIT 10) t) END`;

/**
 * SPEC 5.8's windows around each intervention at t (≤ now), from intervention_effects: before
 * = (t − 14 d, t), after = (t, t + 14 d) and ≤ now. The stored after-count is not cut at now;
 * it is the answer unless a review of the objective lies between now and t + 14 d (stamped
 * ahead of the clock, or a computation at a past instant): then the raw rows, by index.
 */
const INTERVENTION_EFFECTS = `
  SELECT json_agg(json_build_array(f.event_id, f.before_reviews, f.before_incorrect,
    CASE WHEN f.applied_at + interval '14 days' > $2 AND EXISTS (
        SELECT 1 FROM behavioral_events r WHERE r.user_id = u.user_id AND r.objective_id = f.objective_id AND r.type = 'card_reviewed'
          AND r.occurred_at > $2 AND r.occurred_at < f.applied_at + interval '14 days')
      THEN (SELECT json_build_array(count(*), count(*) FILTER (WHERE r.correct IS FALSE)) FROM behavioral_events r
        WHERE r.user_id = u.user_id AND r.objective_id = f.objective_id AND r.type = 'card_reviewed' AND r.occurred_at > f.applied_at AND r.occurred_at <= $2)
      ELSE json_build_array(f.after_reviews, f.after_incorrect) END))
  FROM intervention_effects f WHERE f.user_id = u.user_id AND f.applied_at <= $2`;

/**
 * $1 users; $2 now; $3–$6 now − 90 d, 30 d, 24 h, 7 d; $7 the first day of the load-snapshot
 * window; $8–$16 the window pieces (see OBJECTIVE_WINDOWS). Ids are ordered with COLLATE "C"
 * (code points, SPEC 5's tie-break) whatever the database's collation. Every part is bounded
 * by now ($2): a row exists for a computation once its time is reached (SPEC 3 accepts rows
 * up to 5 minutes ahead). The totals are the activity days' sums less the rows still ahead.
 * Parts with many rows come back as parallel arrays (columns), which PostgreSQL builds and
 * JavaScript parses for a fraction of an array per row.
 */
const LOAD_DIGESTS = `
SELECT u.user_id, a.rollups_ready,
  (SELECT json_build_array(json_agg(o.objective_id), json_agg(o.r90), json_agg(o.c90), json_agg(o.r30), json_agg(o.c30), sum(o.rs30), sum(o.rc30),
      json_agg(${epochMs('o.latest_at')}), json_agg(${LAST_TEN}))
   FROM (${OBJECTIVE_WINDOWS}) o
   LEFT JOIN objective_latest_reviews l ON l.user_id = u.user_id AND l.objective_id = o.objective_id) AS objectives,
  (SELECT json_build_array(coalesce(sum(r.response_ms), 0)::float8, count(r.response_ms)) FROM behavioral_events r
     WHERE r.user_id = u.user_id AND r.type = 'card_reviewed' AND r.occurred_at > $5 AND r.occurred_at <= $2) AS response_24h,
  (SELECT ${eventColumnsSql('e')} FROM (
     SELECT * FROM behavioral_events e WHERE e.user_id = u.user_id AND e.type IN ('mission_started', 'mission_completed', 'mission_abandoned', 'intervention_applied') AND e.occurred_at <= $2
     UNION ALL SELECT * FROM behavioral_events e WHERE e.user_id = u.user_id AND e.type = 'self_report' AND e.occurred_at > $4 AND e.occurred_at <= $2
     UNION ALL SELECT * FROM behavioral_events e WHERE e.user_id = u.user_id AND e.type IN ('content_viewed', 'search_performed') AND e.occurred_at > $6 AND e.occurred_at <= $2) e) AS events,
  (${INTERVENTION_EFFECTS}) AS intervention_effects,
  (SELECT json_build_array(json_agg(s.session_id), json_agg(${epochMs('s.started_at')}), json_agg(${epochMs('s.ended_at')}), json_agg(s.cards_reviewed), json_agg(s.correct_count))
   FROM study_sessions s WHERE s.user_id = u.user_id AND s.ended_at <= $2 AND (s.started_at > $3 OR s.ended_at > $5)) AS sessions,
  (SELECT json_agg(json_build_array(to_char(c.day, 'YYYY-MM-DD'), c.load_score)) FROM cognitive_load_snapshots c
     WHERE c.user_id = u.user_id AND c.day >= $7::date) AS snapshots,
  (SELECT json_build_array(coalesce(sum(d.events), 0), coalesce(sum(d.sessions), 0)) FROM activity_days d WHERE d.user_id = u.user_id) AS activity,
  (SELECT count(*)::int FROM behavioral_events e WHERE e.user_id = u.user_id AND e.occurred_at > $2) AS events_ahead,
  (SELECT count(*)::int FROM study_sessions s WHERE s.user_id = u.user_id AND s.ended_at > $2) AS sessions_ahead,
  ${epochMs(`GREATEST(
     (SELECT max(e.occurred_at) FROM behavioral_events e WHERE e.user_id = u.user_id AND e.occurred_at <= $2),
     (SELECT max(s.ended_at) FROM study_sessions s WHERE s.user_id = u.user_id AND s.ended_at <= $2))`)} AS last_activity_ms,
  ${epochMs(`LEAST(
     (SELECT min(e.occurred_at) FROM behavioral_events e WHERE e.user_id = u.user_id AND e.occurred_at > $2),
     (SELECT min(s.ended_at) FROM study_sessions s WHERE s.user_id = u.user_id AND s.ended_at > $2))`)} AS next_visible_ms,
  coalesce(a.ingest_version, 0)::float8 AS watermark
FROM unnest($1::varchar[]) AS u(user_id)
LEFT JOIN analytics_users a ON a.user_id = u.user_id`;

/** Each part as parallel arrays (columns): cheaper to build in PostgreSQL and to parse here than an array per row. */
type ObjectiveColumns = [string[], number[], number[], number[], number[], number | null, number | null, number[], [number, number][]];
type SessionColumns = [string[], number[], number[], number[], number[]];

interface DigestRecord {
  user_id: string;
  /** Null for a user without an analytics_users row (raw rows stored by other means, if any, are not in the rollups). */
  rollups_ready: boolean | null;
  /** Columns of null when no objective was reviewed in the 90 days. */
  objectives: ObjectiveColumns;
  response_24h: [number, number];
  events: (unknown[] | null)[];
  intervention_effects: [string, number, number, [number, number]][] | null;
  sessions: SessionColumns;
  snapshots: [string, number][] | null;
  /** All-time events and sessions by the activity days, rows ahead of now included. */
  activity: [number, number];
  events_ahead: number;
  sessions_ahead: number;
  last_activity_ms: number | null;
  next_visible_ms: number | null;
  watermark: number;
}

function toObjectives([ids, r90, c90, r30, c30, , , latestMs, lastTen]: ObjectiveColumns): ObjectiveReviews[] {
  return (ids ?? []).map((objectiveId, i) => ({
    objectiveId,
    last90d: { reviews: r90[i]!, correct: c90[i]! },
    last30d: { reviews: r30[i]!, correct: c30[i]! },
    latestAt: new Date(latestMs[i]!),
    lastTen: { reviews: lastTen[i]![0], correct: lastTen[i]![1] },
  }));
}

function toSessions(userId: string, [ids, startedAt, endedAt, cards, correct]: SessionColumns): SessionRow[] {
  return (ids ?? []).map((sessionId, i) => ({ sessionId, userId, startedAt: new Date(startedAt[i]!), endedAt: new Date(endedAt[i]!), cardsReviewed: cards[i]!, correctCount: correct[i]! }));
}

function toDigest(record: DigestRecord, now: Date): UserDigest {
  const userId = record.user_id;
  const objectives = record.objectives;
  // No prototype: event ids such as `__proto__` are valid Ids (SPEC 3).
  const interventionEffects: Record<string, InterventionEffect> = Object.create(null);
  for (const [eventId, beforeReviews, beforeIncorrect, [afterReviews, afterIncorrect]] of record.intervention_effects ?? []) {
    interventionEffects[eventId] = { before: { reviews: beforeReviews, incorrect: beforeIncorrect }, after: { reviews: afterReviews, incorrect: afterIncorrect } };
  }
  return {
    userId,
    now,
    objectives: toObjectives(objectives),
    responseTimes: {
      last24h: { sum: record.response_24h[0], count: record.response_24h[1] },
      last30d: { sum: objectives[5] ?? 0, count: objectives[6] ?? 0 },
    },
    events: eventRowsFromColumns(userId, record.events),
    interventionEffects,
    sessions: toSessions(userId, record.sessions),
    storedLoadSnapshots: (record.snapshots ?? []).map(([day, loadScore]) => ({ day, loadScore })),
    totals: {
      events: record.activity[0] - record.events_ahead,
      sessions: record.activity[1] - record.sessions_ahead,
      lastActivityAt: record.last_activity_ms === null ? null : new Date(record.last_activity_ms),
    },
  };
}

function parameters(userIds: string[], now: Date, pieces: WindowPieces): unknown[] {
  const ago = (ms: number) => new Date(now.getTime() - ms);
  return [
    userIds,
    now,
    ago(90 * DAY_MS),
    ago(30 * DAY_MS),
    ago(DAY_MS),
    ago(7 * DAY_MS),
    addDays(utcDay(now), -13),
    pieces.days90End,
    pieces.days30End,
    pieces.todayStart,
    pieces.firstWeek90,
    pieces.firstWeek30,
    pieces.weeksEnd,
    pieces.day90,
    pieces.day30,
    pieces.today,
  ];
}

/**
 * The digests of `userIds` at `now`; a map by user id. Users with rollups are read in one
 * statement; those without (rows stored before rollups existed) from their raw rows, in a
 * second snapshot whose watermark is theirs.
 */
export async function loadDigests(db: Queryable, userIds: readonly string[], now: Date): Promise<Map<string, LoadedDigest>> {
  const unique = [...new Set(userIds)];
  const digests = new Map<string, LoadedDigest>();
  if (unique.length === 0) return digests;
  // Named: each connection plans this statement once.
  const { rows } = await db.query<DigestRecord>({ name: 'load-digests', text: LOAD_DIGESTS, values: parameters(unique, now, windowPieces(now)) });
  const withoutRollups: string[] = [];
  for (const record of rows) {
    if (record.rollups_ready !== true) withoutRollups.push(record.user_id);
    else digests.set(record.user_id, { digest: toDigest(record, now), watermark: record.watermark, nextVisibleAt: record.next_visible_ms === null ? null : new Date(record.next_visible_ms) });
  }
  if (withoutRollups.length > 0) {
    for (const [userId, loaded] of await loadHistories(db, withoutRollups, now)) {
      digests.set(userId, { digest: digestOfHistory(loaded.history), watermark: loaded.watermark, nextVisibleAt: loaded.nextVisibleAt });
    }
  }
  return digests;
}
