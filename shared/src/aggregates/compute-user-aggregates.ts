import type { LoadLevel } from './aggregate-schemas';
import { computationOf } from './computation';
import { utcDay } from './math';
import { AGGREGATES, STORED_AGGREGATE_KEYS, type AggregateDefinition, type AggregateName } from './registry';
import { digestOfHistory, type UserDigest } from './user-digest';
import type { UserHistory } from './user-history';
import type { Period } from '../contracts/analytics-query';

export interface AggregateEntry {
  aggregate: AggregateName;
  period: string;
  data: unknown;
}

export interface ComputedAggregates {
  computedAt: string;
  entries: AggregateEntry[];
  loadSnapshot: { day: string; loadScore: number; level: LoadLevel };
}

/**
 * Every stored row of SPEC section 5 for one user (each aggregate of the registry, once per
 * period for those with one), from one digest, at `digest.now`, with the results they share
 * computed once (computation.ts).
 */
export function computeUserAggregates(digest: UserDigest): ComputedAggregates {
  const computation = computationOf(digest);
  const entries = STORED_AGGREGATE_KEYS.map(({ aggregate, period }) => ({
    aggregate,
    period,
    data: (AGGREGATES[aggregate] as AggregateDefinition).compute(computation, period as Period),
  }));
  const { load, now } = computation;
  return {
    computedAt: now.toISOString(),
    entries,
    loadSnapshot: { day: utcDay(now), loadScore: load.loadScore, level: load.level },
  };
}

/** The aggregates of a user's raw rows: the formulas over the digest that defines every count (digestOfHistory). */
export function aggregatesOfHistory(history: UserHistory): ComputedAggregates {
  return computeUserAggregates(digestOfHistory(history));
}
