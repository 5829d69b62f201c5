import type { AggregateName } from '../aggregates/registry';
import type { Queryable } from '../db/database';

/** An aggregate as stored and cached: its data and when it was computed. */
export interface StoredAggregate {
  data: unknown;
  computedAt: string;
}

/**
 * One user's computation, serialized once: each entry's data is JSON text, the same text
 * the cache stores, so a save re-serializes nothing.
 */
export interface SerializedComputation {
  userId: string;
  computedAt: string;
  /** The user's ingest_version the computation saw (see LoadedHistory). */
  watermark: number;
  entries: { aggregate: string; period: string; json: string }[];
  loadSnapshot: { day: string; loadScore: number; level: string };
}

/**
 * Saves a batch of computations in ONE statement (one round trip, one transaction), with
 * one jsonb parameter: node-postgres escapes every element of an array parameter, which
 * cost more than the save itself. The newest computation of a user wins row by row: a row
 * is replaced only by a computation at least as new — newer data first (its watermark, the
 * user's ingest_version it saw, which no host's clock can reorder), then, between
 * computations of the same rows, the later "now". Every computation writes the same
 * keys and the statement writes them in key order, so two saves of one user meet at its
 * first row and the later one sees all of the earlier one's rows or none: a user's rows
 * are replaced all or none, and no two saves can deadlock. Resolves with the users whose
 * computation was stored (all of its rows).
 */
const SAVE_COMPUTATIONS = `
WITH input AS (
  SELECT x.u, x.c, x.w, x.d, x.s, x.l, x.e FROM jsonb_to_recordset($1::jsonb) AS x(u varchar, c timestamptz, w bigint, d date, s float8, l varchar, e jsonb)
), upserted AS (
  INSERT INTO aggregate_snapshots (user_id, aggregate, period, data, computed_at, watermark)
  SELECT i.u, en.value->>0, en.value->>1, en.value->2, i.c, i.w FROM input i CROSS JOIN LATERAL jsonb_array_elements(i.e) AS en(value)
  ORDER BY 1, 2, 3
  ON CONFLICT (user_id, aggregate, period) DO UPDATE SET data = EXCLUDED.data, computed_at = EXCLUDED.computed_at, watermark = EXCLUDED.watermark
  WHERE (aggregate_snapshots.watermark, aggregate_snapshots.computed_at) <= (EXCLUDED.watermark, EXCLUDED.computed_at)
  RETURNING user_id
), stored AS (
  SELECT i.* FROM input i JOIN (SELECT user_id, count(*) AS n FROM upserted GROUP BY user_id) w ON w.user_id = i.u
  WHERE w.n = jsonb_array_length(i.e)
), load_snapshot AS (
  -- Only a computation that won all its user's rows gets here, after any earlier winner
  -- committed (it waited on their row locks): the day's snapshot follows the same order.
  INSERT INTO cognitive_load_snapshots (user_id, day, load_score, level, computed_at)
  SELECT s.u, s.d, s.s, s.l, s.c FROM stored s ORDER BY 1
  ON CONFLICT (user_id, day) DO UPDATE SET load_score = EXCLUDED.load_score, level = EXCLUDED.level, computed_at = EXCLUDED.computed_at
)
SELECT u AS user_id FROM stored`;

/** The batch as one JSON document, built from the already serialized entries. */
function batchDocument(computations: readonly SerializedComputation[]): string {
  return `[${computations
    .map((c) => {
      const entries = c.entries.map((e) => `[${JSON.stringify(e.aggregate)},${JSON.stringify(e.period)},${e.json}]`).join(',');
      const s = c.loadSnapshot;
      return `{"u":${JSON.stringify(c.userId)},"c":"${c.computedAt}","w":${c.watermark},"d":"${s.day}","s":${JSON.stringify(s.loadScore)},"l":${JSON.stringify(s.level)},"e":[${entries}]}`;
    })
    .join(',')}]`;
}

export async function saveComputations(pool: Queryable, computations: readonly SerializedComputation[]): Promise<Set<string>> {
  if (computations.length === 0) return new Set();
  const { rows } = await pool.query<{ user_id: string }>({ name: 'save-computations', text: SAVE_COMPUTATIONS, values: [batchDocument(computations)] });
  return new Set(rows.map((r) => r.user_id));
}

export async function readAggregate(pool: Queryable, userId: string, aggregate: AggregateName, period: string): Promise<StoredAggregate | null> {
  const { rows } = await pool.query<{ data: unknown; computed_at: Date }>(
    'SELECT data, computed_at FROM aggregate_snapshots WHERE user_id = $1 AND aggregate = $2 AND period = $3',
    [userId, aggregate, period],
  );
  const row = rows[0];
  return row ? { data: row.data, computedAt: row.computed_at.toISOString() } : null;
}

/** Whether the pipeline has seen any event or session of this user. */
export async function userHasData(pool: Queryable, userId: string): Promise<boolean> {
  const { rowCount } = await pool.query('SELECT 1 FROM analytics_users WHERE user_id = $1', [userId]);
  return (rowCount ?? 0) > 0;
}

/** Every stored aggregate row of a user (what `pnpm recompute --verify` compares). */
export async function readStoredAggregates(pool: Queryable, userId: string): Promise<{ aggregate: string; period: string; data: unknown; computed_at: Date }[]> {
  const { rows } = await pool.query<{ aggregate: string; period: string; data: unknown; computed_at: Date }>(
    'SELECT aggregate, period, data, computed_at FROM aggregate_snapshots WHERE user_id = $1',
    [userId],
  );
  return rows;
}

/** Drops the daily load snapshots before `oldestKeptDay` (a UTC day, YYYY-MM-DD); returns how many went. */
export async function deleteLoadSnapshotsBefore(pool: Queryable, oldestKeptDay: string): Promise<number> {
  // A day string, not a Date: `$1::date` of a timestamp would use the server's time zone.
  const result = await pool.query('DELETE FROM cognitive_load_snapshots WHERE day < $1::date', [oldestKeptDay]);
  return result.rowCount ?? 0;
}
