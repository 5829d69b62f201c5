import type { AggregateName } from '../contracts/analytics-query';
import type { Database } from '../db/prisma-client';

/** An aggregate as stored and cached: its data and when it was computed. */
export interface StoredAggregate {
  data: unknown;
  computedAt: string;
}

type Pool = Database['pool'];

/**
 * One user's computation, serialized once: each entry's data is JSON text, the same text
 * the cache stores, so a save re-serializes nothing.
 */
export interface SerializedComputation {
  userId: string;
  computedAt: string;
  entries: { aggregate: string; period: string; json: string }[];
  loadSnapshot: { day: string; loadScore: number; level: string };
}

/**
 * Saves a batch of computations in ONE statement (one round trip, one transaction), with
 * one jsonb parameter: node-postgres escapes every element of an array parameter, which
 * cost more than the save itself. Per user, the newest computation wins: the user's
 * analytics_users row is locked (in user order, so concurrent saves and ingest batches
 * cannot deadlock) and its `recomputed_at` compared, so a user's rows are all replaced or
 * none is. Users unknown to analytics_users (no raw rows) are stored unguarded, each row
 * still only over an older one. Resolves with the users whose computation was stored.
 */
const SAVE_COMPUTATIONS = `
WITH input AS (
  SELECT x.u, x.c, x.d, x.s, x.l, x.e FROM jsonb_to_recordset($1::jsonb) AS x(u varchar, c timestamptz, d date, s float8, l varchar, e jsonb)
), locked AS (
  SELECT a.user_id FROM analytics_users a WHERE a.user_id IN (SELECT u FROM input) ORDER BY a.user_id FOR UPDATE
), bumped AS (
  UPDATE analytics_users a SET recomputed_at = i.c FROM input i
  WHERE a.user_id = i.u AND a.user_id IN (SELECT user_id FROM locked) AND (a.recomputed_at IS NULL OR a.recomputed_at <= i.c)
  RETURNING a.user_id
), winners AS (
  SELECT i.* FROM input i
  WHERE i.u IN (SELECT user_id FROM bumped) OR NOT EXISTS (SELECT 1 FROM analytics_users a WHERE a.user_id = i.u)
), upserted AS (
  INSERT INTO aggregate_snapshots (user_id, aggregate, period, data, computed_at)
  SELECT w.u, en.value->>0, en.value->>1, en.value->2, w.c FROM winners w CROSS JOIN LATERAL jsonb_array_elements(w.e) AS en(value)
  ORDER BY 1, 2, 3
  ON CONFLICT (user_id, aggregate, period) DO UPDATE SET data = EXCLUDED.data, computed_at = EXCLUDED.computed_at
  WHERE aggregate_snapshots.computed_at <= EXCLUDED.computed_at
), load_snapshot AS (
  INSERT INTO cognitive_load_snapshots (user_id, day, load_score, level, computed_at)
  SELECT w.u, w.d, w.s, w.l, w.c FROM winners w ORDER BY 1
  ON CONFLICT (user_id, day) DO UPDATE SET load_score = EXCLUDED.load_score, level = EXCLUDED.level, computed_at = EXCLUDED.computed_at
  WHERE cognitive_load_snapshots.computed_at <= EXCLUDED.computed_at
)
SELECT u AS user_id FROM winners`;

/** The batch as one JSON document, built from the already serialized entries. */
function batchDocument(computations: readonly SerializedComputation[]): string {
  return `[${computations
    .map((c) => {
      const entries = c.entries.map((e) => `[${JSON.stringify(e.aggregate)},${JSON.stringify(e.period)},${e.json}]`).join(',');
      const s = c.loadSnapshot;
      return `{"u":${JSON.stringify(c.userId)},"c":"${c.computedAt}","d":"${s.day}","s":${JSON.stringify(s.loadScore)},"l":${JSON.stringify(s.level)},"e":[${entries}]}`;
    })
    .join(',')}]`;
}

export async function saveComputations(pool: Pick<Pool, 'query'>, computations: readonly SerializedComputation[]): Promise<Set<string>> {
  if (computations.length === 0) return new Set();
  const { rows } = await pool.query<{ user_id: string }>({ name: 'save-computations', text: SAVE_COMPUTATIONS, values: [batchDocument(computations)] });
  return new Set(rows.map((r) => r.user_id));
}

export async function readAggregate(pool: Pick<Pool, 'query'>, userId: string, aggregate: AggregateName, period: string): Promise<StoredAggregate | null> {
  const { rows } = await pool.query<{ data: unknown; computed_at: Date }>(
    'SELECT data, computed_at FROM aggregate_snapshots WHERE user_id = $1 AND aggregate = $2 AND period = $3',
    [userId, aggregate, period],
  );
  const row = rows[0];
  return row ? { data: row.data, computedAt: row.computed_at.toISOString() } : null;
}

/** Whether the pipeline has seen any event or session of this user. */
export async function userHasData(pool: Pick<Pool, 'query'>, userId: string): Promise<boolean> {
  const { rowCount } = await pool.query('SELECT 1 FROM analytics_users WHERE user_id = $1', [userId]);
  return (rowCount ?? 0) > 0;
}
