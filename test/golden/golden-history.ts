import type { EventRow, UserHistory } from '@shared/aggregates/user-history';
import type { GoldenCase } from './rows';

const DAY_MS = 86_400_000;

/**
 * The UserHistory the store's loader would hand to `computeUserAggregates` for a golden
 * case's raw rows, following the contract written on UserHistory. Like the loader, it
 * selects recentEvents in (now − 90 d, now], sessions starting in the 90 days or ending in
 * the last 24 h, and mission and intervention events up to now: a row exactly at now − 90 d
 * never reaches the formulas, so the 90-day edge of patterns and objectives is pinned for
 * the loader's contract and the formulas together. Where a rule belongs to a formula, it
 * hands over more and lets the formula apply the rule:
 * - `latestReviewsByObjective`: every review (≤ now) of each objective reviewed in the
 *   90 days, not just its 10 latest (the loader also sends more: the 90-day reviews plus
 *   the older ones), so the "10 most recent, ties by id" rule is the formula's to apply;
 * - `interventionReviews`: every review of an objective named by an intervention, even
 *   after `now` (the contract allows a superset), so "after … and ≤ now" (SPEC 5.8) is the
 *   formula's to apply;
 * - `storedLoadSnapshots`: every stored row, even older than 14 days, so "the last 14 UTC
 *   days" (SPEC 5.4) is the formula's to apply.
 * Every list is handed over in the reverse of the fixture's order (fixtures are mostly
 * written oldest first), since the formulas must order rows themselves (time, then id in
 * code-point order).
 */
export function historyOf(golden: GoldenCase<unknown>): UserHistory {
  const now = new Date(golden.now);
  const t = now.getTime();
  const events = golden.events ?? [];
  const sessions = golden.sessions ?? [];
  const upToNow = events.filter((e) => e.occurredAt.getTime() <= t);
  const recentEvents = upToNow.filter((e) => e.occurredAt.getTime() > t - 90 * DAY_MS);
  const reviews = events.filter((e) => e.type === 'card_reviewed');

  const latestReviewsByObjective: Record<string, EventRow[]> = {};
  for (const e of recentEvents) {
    if (e.type !== 'card_reviewed' || e.objectiveId === null) continue;
    latestReviewsByObjective[e.objectiveId] = reversed(reviews.filter((r) => r.objectiveId === e.objectiveId && r.occurredAt.getTime() <= t));
  }

  const interventionEvents = upToNow.filter((e) => e.type === 'intervention_applied');
  const namedObjectives = new Set(interventionEvents.map((e) => e.objectiveId).filter((id) => id !== null));

  const times = [...events.map((e) => e.occurredAt.getTime()), ...sessions.map((s) => s.endedAt.getTime())];
  return {
    userId: 'golden-user',
    now,
    recentEvents: reversed(recentEvents),
    missionEvents: reversed(upToNow.filter((e) => e.type.startsWith('mission_'))),
    interventionEvents: reversed(interventionEvents),
    interventionReviews: reversed(reviews.filter((r) => r.objectiveId !== null && namedObjectives.has(r.objectiveId))),
    latestReviewsByObjective,
    sessions: reversed(
      sessions.filter(
        (s) =>
          (s.startedAt.getTime() > t - 90 * DAY_MS && s.startedAt.getTime() <= t) ||
          (s.endedAt.getTime() > t - DAY_MS && s.endedAt.getTime() <= t),
      ),
    ),
    storedLoadSnapshots: reversed(golden.storedLoadSnapshots ?? []),
    // All time, as the loader counts them (the dashboard cases hold no row after `now`).
    totals: { events: events.length, sessions: sessions.length, lastActivityAt: times.length === 0 ? null : new Date(Math.max(...times)) },
  };
}

function reversed<T>(rows: T[]): T[] {
  return [...rows].reverse();
}
