import type { Queryable } from '../db/database';

export interface RecentUser {
  userId: string;
  lastActivityAt: Date;
}

/**
 * The `limit` users with the latest activity, latest first (ties by user id): one backward
 * range scan of analytics_users_last_activity_idx, whatever the number of users.
 */
export async function recentlyActiveUsers(db: Queryable, limit: number): Promise<RecentUser[]> {
  const { rows } = await db.query<{ user_id: string; last_activity_at: Date }>(
    'SELECT user_id, last_activity_at FROM analytics_users ORDER BY last_activity_at DESC, user_id LIMIT $1',
    [limit],
  );
  return rows.map((row) => ({ userId: row.user_id, lastActivityAt: row.last_activity_at }));
}
