import type { Queryable } from '../db/database';

export interface UserSelection {
  /** Only users whose latest activity is after this instant (the nightly recompute's 90 days). */
  activeSince?: Date;
  /** Only users whose rollups are not built yet (stored before the rollups existed). */
  withoutRollups?: boolean;
  /** Users per page (default 500). */
  pageSize?: number;
}

/**
 * Every user the pipeline has seen, a page at a time, by keyset pagination on the primary
 * key: memory stays flat whatever the number of users, and each page is one index range
 * scan (no OFFSET that rereads the pages before it). Users added while paging are
 * included if their id sorts after the current page.
 */
export async function* userPages(db: Queryable, selection: UserSelection = {}): AsyncGenerator<string[]> {
  const pageSize = selection.pageSize ?? 500;
  let after = '';
  for (;;) {
    const { rows } = await db.query<{ user_id: string }>(
      `SELECT user_id FROM analytics_users
       WHERE user_id > $1 AND ($2::timestamptz IS NULL OR last_activity_at > $2) AND NOT ($4 AND rollups_ready)
       ORDER BY user_id LIMIT $3`,
      [after, selection.activeSince ?? null, pageSize, selection.withoutRollups ?? false],
    );
    if (rows.length === 0) return;
    yield rows.map((r) => r.user_id);
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1]!.user_id;
  }
}

/** How many users a selection holds (for a progress bar's total). */
export async function countUsers(db: Queryable, selection: Pick<UserSelection, 'activeSince' | 'withoutRollups'> = {}): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM analytics_users WHERE ($1::timestamptz IS NULL OR last_activity_at > $1) AND NOT ($2 AND rollups_ready)',
    [selection.activeSince ?? null, selection.withoutRollups ?? false],
  );
  return rows[0]?.n ?? 0;
}

/**
 * Runs `work` for every user of a selection, at most `concurrency` at a time, with one
 * page in memory. `work` handles its own failures; one it throws stops the run.
 */
export async function forEachUser(
  db: Queryable,
  selection: UserSelection,
  options: { concurrency: number; work: (userId: string) => Promise<void> },
): Promise<void> {
  for await (const page of userPages(db, selection)) {
    let next = 0;
    const lane = async () => {
      while (next < page.length) await options.work(page[next++]!);
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, page.length)) }, lane));
  }
}
