import type { AggregateName } from '../contracts/analytics-query';
import type { ComputedAggregates } from '../aggregates/compute-user-aggregates';
import type { Database } from '../db/prisma-client';

/** An aggregate as stored and cached: its data and when it was computed. */
export interface StoredAggregate {
  data: unknown;
  computedAt: string;
}

type Pool = Database['pool'];

/**
 * Upserts a user's aggregates and today's load snapshot in one transaction. An older
 * computation never overwrites a newer one (two recomputes of one user can overlap);
 * returns false when this one lost, so its caller does not write it through to the cache.
 */
export async function saveAggregates(pool: Pool, userId: string, computed: ComputedAggregates): Promise<boolean> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // One statement for the three writes (data-modifying CTEs): a recompute is dominated by
    // round trips, not by the writes themselves. Rolled back as a whole below if it lost.
    const snapshot = computed.loadSnapshot;
    const { rows } = await client.query<{ upserted: number }>(
      `WITH upserted AS (
         INSERT INTO aggregate_snapshots (user_id, aggregate, period, data, computed_at)
         SELECT $1, a, p, d, $5 FROM unnest($2::varchar[], $3::varchar[], $4::jsonb[]) AS x(a, p, d)
         ON CONFLICT (user_id, aggregate, period) DO UPDATE SET data = EXCLUDED.data, computed_at = EXCLUDED.computed_at
         WHERE aggregate_snapshots.computed_at <= EXCLUDED.computed_at
         RETURNING 1
       ), load_snapshot AS (
         INSERT INTO cognitive_load_snapshots (user_id, day, load_score, level, computed_at) VALUES ($1, $6::date, $7, $8, $5)
         ON CONFLICT (user_id, day) DO UPDATE SET load_score = EXCLUDED.load_score, level = EXCLUDED.level, computed_at = EXCLUDED.computed_at
         WHERE cognitive_load_snapshots.computed_at <= EXCLUDED.computed_at
       ), recomputed AS (
         UPDATE analytics_users SET recomputed_at = GREATEST(recomputed_at, $5) WHERE user_id = $1
       )
       SELECT count(*)::int AS upserted FROM upserted`,
      [
        userId,
        computed.entries.map((e) => e.aggregate),
        computed.entries.map((e) => e.period),
        computed.entries.map((e) => JSON.stringify(e.data)),
        computed.computedAt,
        snapshot.day,
        snapshot.loadScore,
        snapshot.level,
      ],
    );
    if ((rows[0]?.upserted ?? 0) < computed.entries.length) {
      await client.query('ROLLBACK');
      return false;
    }
    await client.query('COMMIT');
    return true;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
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
