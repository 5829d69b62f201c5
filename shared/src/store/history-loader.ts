import type { EventType } from '../contracts/behavioral-event';
import type { Database } from '../db/prisma-client';
import { addDays, DAY_MS, utcDay } from '../aggregates/math';
import type { EventRow, SessionRow, UserHistory } from '../aggregates/user-history';

/**
 * Loads the plain data the formulas need (UserHistory) with index-backed queries — one per
 * path, run concurrently — so a recompute reads only the user's own rows in the windows
 * the formulas look at, whatever the size of the tables.
 */
type Queryable = Pick<Database['pool'], 'query'>;

// occurred_at travels as epoch milliseconds (the column has millisecond precision): parsing
// thousands of timestamp strings per recompute was its largest client-side cost.
const EVENT_COLUMNS = `event_id, user_id, type, (extract(epoch from occurred_at) * 1000)::float8 AS occurred_at_ms, objective_id, mission_id,
  correct, response_ms, duration_ms::float8 AS duration_ms, success_score, stress, intervention_type, content_type`;

interface EventRecord {
  event_id: string;
  user_id: string;
  type: string;
  occurred_at_ms: number;
  objective_id: string | null;
  mission_id: string | null;
  correct: boolean | null;
  response_ms: number | null;
  duration_ms: number | null;
  success_score: number | null;
  stress: number | null;
  intervention_type: string | null;
  content_type: string | null;
}

function toEventRow(r: EventRecord): EventRow {
  return {
    eventId: r.event_id,
    userId: r.user_id,
    type: r.type as EventType,
    occurredAt: new Date(r.occurred_at_ms),
    objectiveId: r.objective_id,
    missionId: r.mission_id,
    correct: r.correct,
    responseMs: r.response_ms,
    durationMs: r.duration_ms,
    successScore: r.success_score,
    stress: r.stress,
    interventionType: r.intervention_type,
    contentType: r.content_type,
  };
}

interface SessionRecord {
  session_id: string;
  user_id: string;
  started_at: Date;
  ended_at: Date;
  cards_reviewed: number;
  correct_count: number;
}

function toSessionRow(r: SessionRecord): SessionRow {
  return {
    sessionId: r.session_id,
    userId: r.user_id,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    cardsReviewed: r.cards_reviewed,
    correctCount: r.correct_count,
  };
}

async function events(db: Queryable, sql: string, params: unknown[]): Promise<EventRow[]> {
  return (await db.query<EventRecord>(sql, params)).rows.map(toEventRow);
}

const WINDOW_MS = 14 * DAY_MS;

/** The card reviews among `candidates` within 14 days either side of an intervention on their objective. */
function reviewsInInterventionWindows(candidates: EventRow[], interventions: EventRow[]): EventRow[] {
  const instantsByObjective = new Map<string, number[]>();
  for (const e of interventions) {
    const instants = instantsByObjective.get(e.objectiveId!);
    if (instants) instants.push(e.occurredAt.getTime());
    else instantsByObjective.set(e.objectiveId!, [e.occurredAt.getTime()]);
  }
  return candidates.filter((r) => {
    if (r.type !== 'card_reviewed' || r.objectiveId === null) return false;
    const instants = instantsByObjective.get(r.objectiveId);
    const t = r.occurredAt.getTime();
    return instants !== undefined && instants.some((at) => t > at - WINDOW_MS && t < at + WINDOW_MS);
  });
}

export async function loadUserHistory(db: Queryable, userId: string, now: Date): Promise<UserHistory> {
  const since90 = new Date(now.getTime() - 90 * DAY_MS);
  const since24h = new Date(now.getTime() - DAY_MS);
  const [recentEvents, missionEvents, interventionEvents, sessions, snapshots, totals] = await Promise.all([
    events(db, `SELECT ${EVENT_COLUMNS} FROM behavioral_events WHERE user_id = $1 AND occurred_at > $2 AND occurred_at <= $3`, [userId, since90, now]),
    events(
      db,
      `SELECT ${EVENT_COLUMNS} FROM behavioral_events
       WHERE user_id = $1 AND type IN ('mission_started', 'mission_completed', 'mission_abandoned') AND occurred_at <= $2`,
      [userId, now],
    ),
    events(db, `SELECT ${EVENT_COLUMNS} FROM behavioral_events WHERE user_id = $1 AND type = 'intervention_applied' AND occurred_at <= $2`, [userId, now]),
    db.query<SessionRecord>(
      `SELECT session_id, user_id, started_at, ended_at, cards_reviewed, correct_count FROM study_sessions
         WHERE user_id = $1 AND started_at > $2 AND started_at <= $3
       UNION
       SELECT session_id, user_id, started_at, ended_at, cards_reviewed, correct_count FROM study_sessions
         WHERE user_id = $1 AND ended_at > $4 AND ended_at <= $3`,
      [userId, since90, now, since24h],
    ),
    db.query<{ day: string; load_score: number }>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, load_score FROM cognitive_load_snapshots WHERE user_id = $1 AND day >= $2::date`,
      [userId, addDays(utcDay(now), -13)],
    ),
    db.query<{ events: number; sessions: number; last_activity_at: Date | null }>(
      `SELECT (SELECT count(*)::int FROM behavioral_events WHERE user_id = $1) AS events,
              (SELECT count(*)::int FROM study_sessions WHERE user_id = $1) AS sessions,
              GREATEST((SELECT max(occurred_at) FROM behavioral_events WHERE user_id = $1),
                       (SELECT max(ended_at) FROM study_sessions WHERE user_id = $1)) AS last_activity_at`,
      [userId],
    ),
  ]);

  const reviewedObjectives = [...new Set(recentEvents.filter((e) => e.type === 'card_reviewed' && e.objectiveId).map((e) => e.objectiveId!))];
  const withObjective = interventionEvents.filter((e) => e.objectiveId !== null);
  const [latestReviews, olderInterventionReviews] = await Promise.all([
    reviewedObjectives.length === 0
      ? Promise.resolve([] as EventRow[])
      : events(
          db,
          `SELECT r.* FROM unnest($2::varchar[]) AS o(objective_id)
           CROSS JOIN LATERAL (
             SELECT ${EVENT_COLUMNS} FROM behavioral_events e
             WHERE e.user_id = $1 AND e.objective_id = o.objective_id AND e.type = 'card_reviewed' AND e.occurred_at <= $3
             ORDER BY e.occurred_at DESC, e.event_id DESC LIMIT 10) r`,
          [userId, reviewedObjectives, now],
        ),
    withObjective.length === 0
      ? Promise.resolve([] as EventRow[])
      : events(
          db,
          // Only the reviews older than the 90-day window (the recent ones are in recentEvents
          // already), each once however many intervention windows it falls in (a semi-join).
          `SELECT ${EVENT_COLUMNS} FROM behavioral_events e
           WHERE e.user_id = $1 AND e.type = 'card_reviewed' AND e.objective_id = ANY($2::varchar[]) AND e.occurred_at <= $4
             AND EXISTS (
               SELECT 1 FROM unnest($2::varchar[], $3::timestamptz[]) AS i(objective_id, at)
               WHERE e.objective_id = i.objective_id AND e.occurred_at > i.at - interval '14 days' AND e.occurred_at < i.at + interval '14 days')`,
          [userId, withObjective.map((e) => e.objectiveId), withObjective.map((e) => e.occurredAt), since90],
        ),
  ]);
  const interventionReviews = [...olderInterventionReviews, ...reviewsInInterventionWindows(recentEvents, withObjective)];

  // No prototype: objective ids such as `constructor` or `__proto__` are valid Ids (SPEC 3).
  const latestReviewsByObjective: Record<string, EventRow[]> = Object.create(null);
  for (const review of latestReviews) (latestReviewsByObjective[review.objectiveId!] ??= []).push(review);
  const total = totals.rows[0]!;
  return {
    userId,
    now,
    recentEvents,
    missionEvents,
    interventionEvents,
    interventionReviews,
    latestReviewsByObjective,
    sessions: sessions.rows.map(toSessionRow),
    storedLoadSnapshots: snapshots.rows.map((s) => ({ day: s.day, loadScore: s.load_score })),
    totals: { events: total.events, sessions: total.sessions, lastActivityAt: total.last_activity_at },
  };
}
