import { isDeepStrictEqual } from 'node:util';
import { STORED_AGGREGATE_KEYS } from '../aggregates/registry';
import { aggregatesOfHistory } from '../aggregates/compute-user-aggregates';
import type { Queryable } from '../db/database';
import { readStoredAggregates } from '../store/aggregate-store';
import { countRowsReceivedSince } from '../store/event-store';
import { digestOfHistory, sameOrder } from '../aggregates/user-digest';
import { loadDigests } from '../store/digest-loader';
import { loadUserHistory } from '../store/history-loader';


/** One value that differs between the stored aggregate and a fresh computation. */
export interface ValueDifference {
  /** JSON path inside the aggregate's data, e.g. `completed` or `byHourOfDay[7].accuracy`. */
  path: string;
  stored: unknown;
  fresh: unknown;
}

export interface AggregateDrift {
  aggregate: string;
  period: string;
  /** The first differences found (at most MAX_DIFFERENCES). */
  differences: ValueDifference[];
}

/**
 * - `ok`: the stored aggregates are exactly what the raw rows give at their `computedAt`.
 * - `drift`: they differ, and no raw row arrived since: the stored values are wrong.
 * - `stale`: they differ (or were never computed) but raw rows arrived after (or just
 *   before) the stored computation; a recompute of those rows is due, nothing is wrong yet.
 */
export type VerifyStatus = 'ok' | 'drift' | 'stale';

export interface UserVerification {
  userId: string;
  status: VerifyStatus;
  /** The stored computation's time, which the fresh computation uses as its "now". */
  computedAt: string | null;
  drifts: AggregateDrift[];
  /** Raw rows received after (computedAt − LATE_ROW_MARGIN_MS); reason for `stale`. */
  lateRows: number;
}

export const MAX_DIFFERENCES = 5;
/** The name a drift of the rollups (the counts a recompute reads) is reported under, beside the aggregates'. */
export const ROLLUPS = 'rollups';
/**
 * A row inserted by a transaction that began shortly before a recompute started, but
 * committed after that recompute loaded the history, has `received_at` < computedAt yet
 * is not in the stored values; the recompute its insert triggered follows. Rows this close
 * to computedAt count as late.
 */
export const LATE_ROW_MARGIN_MS = 10_000;

/** Up to `limit` paths where two JSON values differ (object key order is irrelevant). */
export function jsonDifferences(stored: unknown, fresh: unknown, limit = MAX_DIFFERENCES, path = ''): ValueDifference[] {
  if (isDeepStrictEqual(stored, fresh)) return [];
  const bothObjects = typeof stored === 'object' && stored !== null && typeof fresh === 'object' && fresh !== null;
  if (!bothObjects || Array.isArray(stored) !== Array.isArray(fresh)) return [{ path: path || '(whole)', stored, fresh }];
  const differences: ValueDifference[] = [];
  if (Array.isArray(stored) && Array.isArray(fresh)) {
    if (stored.length !== fresh.length) differences.push({ path: `${path || '(whole)'}.length`, stored: stored.length, fresh: fresh.length });
    for (let i = 0; i < Math.min(stored.length, fresh.length) && differences.length < limit; i += 1) {
      differences.push(...jsonDifferences(stored[i], fresh[i], limit - differences.length, `${path}[${i}]`));
    }
    return differences.slice(0, limit);
  }
  const a = stored as Record<string, unknown>;
  const b = fresh as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const key of keys) {
    if (differences.length >= limit) break;
    differences.push(...jsonDifferences(a[key], b[key], limit - differences.length, path ? `${path}.${key}` : key));
  }
  return differences.slice(0, limit);
}

/**
 * Compares a user's stored aggregates with a fresh computation from the raw rows, made
 * with "now" = the stored `computedAt`. Windows move with "now" (24 h, 7 d, 90 d, …), so
 * comparing with a computation at the current time would report every user whose window
 * edges moved since; pinning "now" makes only data drift count. Reads only; stores nothing.
 */
export async function verifyUser(db: Queryable, userId: string): Promise<UserVerification> {
  const stored = await readStoredAggregates(db, userId);
  const computedAt = stored.length === 0 ? null : new Date(Math.max(...stored.map((r) => r.computed_at.getTime())));
  const drifts: AggregateDrift[] = [];
  if (computedAt) {
    // From raw rows, never the rollups: a rollup that drifted from its rows shows as drift here.
    const history = await loadUserHistory(db, userId, computedAt);
    const fresh = aggregatesOfHistory(history);
    const freshByKey = new Map(fresh.entries.map((e) => [`${e.aggregate} ${e.period}`, JSON.parse(JSON.stringify(e.data)) as unknown]));
    const storedByKey = new Map(stored.map((r) => [`${r.aggregate} ${r.period}`, r]));
    for (const { aggregate, period } of STORED_AGGREGATE_KEYS) {
      const row = storedByKey.get(`${aggregate} ${period}`);
      const differences = row
        ? jsonDifferences(row.data, freshByKey.get(`${aggregate} ${period}`))
        : [{ path: '(whole)', stored: undefined, fresh: '(computed)' }];
      if (row && row.computed_at.getTime() !== computedAt.getTime()) {
        differences.unshift({ path: '(computedAt)', stored: row.computed_at.toISOString(), fresh: computedAt.toISOString() });
      }
      if (differences.length > 0) drifts.push({ aggregate, period, differences: differences.slice(0, MAX_DIFFERENCES) });
    }
    // The rollups themselves, at the same instant: what the next recompute reads must be what the raw rows say.
    const fromRollups = (await loadDigests(db, [userId], computedAt)).get(userId)!.digest;
    const rollupDifferences = jsonDifferences(JSON.parse(JSON.stringify(sameOrder(fromRollups))), JSON.parse(JSON.stringify(sameOrder(digestOfHistory(history)))));
    if (rollupDifferences.length > 0) drifts.push({ aggregate: ROLLUPS, period: '-', differences: rollupDifferences });
    if (drifts.length === 0) return { userId, status: 'ok', computedAt: computedAt.toISOString(), drifts, lateRows: 0 };
  }
  const lateRows = await countRowsReceivedSince(db, userId, computedAt && new Date(computedAt.getTime() - LATE_ROW_MARGIN_MS));
  // Never computed and no rows at all: an unknown user, nothing to compare.
  if (!computedAt && lateRows === 0) return { userId, status: 'ok', computedAt: null, drifts, lateRows };
  return { userId, status: lateRows > 0 ? 'stale' : 'drift', computedAt: computedAt?.toISOString() ?? null, drifts, lateRows };
}
