import type pg from 'pg';

/**
 * Students with long histories, stored straight into PostgreSQL as an earlier version of the
 * system would have stored them (raw rows and analytics_users, no rollups): each has
 * `reviews` card reviews spread evenly over the last 90 days (30 objectives, 70 % correct,
 * 1–21 s, the last one a minute ago) and `sessions` study sessions over the same days. Their
 * rollups are then built the way a deployment builds them (`pnpm recompute -- --build-rollups`).
 */
export interface HeavyStudents {
  userIds: string[];
  rows: number;
  seconds: number;
}

const SPAN = `(interval '90 days' - interval '2 minutes')`;

export async function storeHeavyStudents(pool: pg.Pool, options: { prefix: string; students: number; reviews: number; sessions: number; now: Date }): Promise<HeavyStudents> {
  const { prefix, students, reviews, sessions } = options;
  const start = performance.now();
  const now = options.now.toISOString();
  // One statement per student: each commits on its own, and the progress of a long seed stays visible.
  for (let s = 0; s < students; s += 1) {
    const userId = `${prefix}${s}`;
    await pool.query(
      `INSERT INTO behavioral_events (event_id, user_id, type, occurred_at, properties, objective_id, correct, response_ms)
       SELECT $1 || '-r' || i, $1, 'card_reviewed', o, jsonb_build_object('objectiveId', b, 'correct', c, 'responseMs', r), b, c, r
       FROM generate_series(1, $2::int) i,
         LATERAL (SELECT $3::timestamptz - interval '90 days' + ${SPAN} * (i::float8 / $2) AS o, 'obj-' || floor(random() * 30)::int AS b,
                         random() < 0.7 AS c, 1000 + floor(random() * 20000)::int AS r) x`,
      [userId, reviews, now],
    );
    await pool.query(
      `INSERT INTO study_sessions (session_id, user_id, started_at, ended_at, cards_reviewed, correct_count)
       SELECT $1 || '-s' || i, $1, st, st + (10 + floor(random() * 50)::int) * interval '1 minute', 30, 15 + floor(random() * 15)::int
       FROM generate_series(1, $2::int) i,
         LATERAL (SELECT $3::timestamptz - interval '90 days' + ${SPAN} * (i::float8 / ($2 + 1)) AS st) x`,
      [userId, sessions, now],
    );
  }
  await pool.query(
    `INSERT INTO analytics_users (user_id, last_activity_at, ingest_version)
     SELECT $1 || s, $2::timestamptz - interval '1 minute', 1 FROM generate_series(0, $3::int - 1) s`,
    [prefix, now, students],
  );
  await pool.query('ANALYZE behavioral_events; ANALYZE study_sessions; ANALYZE analytics_users');
  return {
    userIds: Array.from({ length: students }, (_, s) => `${prefix}${s}`),
    rows: students * (reviews + sessions),
    seconds: (performance.now() - start) / 1_000,
  };
}
