/**
 * The durable list of users whose stored aggregates are newer than their cache entries:
 * Redis failed their write-through, so their older entries would be served by every API
 * until TTL + grace. A worker (CacheRepairer) invalidates their entries once Redis answers
 * and removes the mark; being in PostgreSQL, the mark outlives the process that made it.
 */
import type { Queryable } from '../db/database';

export async function markCacheRepairs(db: Queryable, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  // Sorted, so concurrent marks lock rows in the same order.
  await db.query(
    `INSERT INTO cache_repairs (user_id) SELECT u FROM unnest($1::varchar[]) AS x(u) ORDER BY u
     ON CONFLICT (user_id) DO UPDATE SET marked_at = now()`,
    [[...new Set(userIds)].sort()],
  );
}

export interface PendingRepairs {
  userIds: string[];
  /** The latest mark among them: a mark made after it stays for the next round. */
  markedUpTo: Date | null;
}

export async function pendingCacheRepairs(db: Queryable, limit: number): Promise<PendingRepairs> {
  const { rows } = await db.query<{ user_id: string; marked_at: Date }>('SELECT user_id, marked_at FROM cache_repairs ORDER BY marked_at LIMIT $1', [limit]);
  return { userIds: rows.map((r) => r.user_id), markedUpTo: rows.length ? rows[rows.length - 1]!.marked_at : null };
}

/** Removes the marks of repaired users, unless a newer failure marked them again meanwhile. */
export async function clearCacheRepairs(db: Queryable, userIds: readonly string[], markedUpTo: Date): Promise<void> {
  if (userIds.length === 0) return;
  await db.query('DELETE FROM cache_repairs WHERE user_id = ANY($1::varchar[]) AND marked_at <= $2', [[...userIds], markedUpTo]);
}
