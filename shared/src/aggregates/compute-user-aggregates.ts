import { PERIODS, STORED_AGGREGATE_KEYS, type AggregateName } from '../contracts/analytics-query';
import type { LoadLevel } from './aggregate-schemas';
import { cognitiveLoad } from './cognitive-load';
import { dashboard } from './dashboard';
import { interventions } from './interventions';
import { currentStreakDays, missionsSummary } from './missions-summary';
import { objectivesMastery } from './objectives-mastery';
import { stressProfile } from './stress-profile';
import { rankedPredictions, strugglePredictions } from './struggle-predictions';
import { struggleReduction } from './struggle-reduction';
import { studyPatterns } from './study-patterns';
import { chronological, utcDay } from './math';
import { digestOfHistory, MISSION_TYPES, type UserDigest } from './user-digest';
import type { EventRow, SessionRow, UserHistory } from './user-history';

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

const byEventTime = chronological<EventRow>((e) => e.occurredAt, (e) => e.eventId);
const bySessionStart = chronological<SessionRow>((s) => s.startedAt, (s) => s.sessionId);

/**
 * Rows in one canonical order (time, then id), whatever order the store returned them in:
 * floating-point sums depend on order, and the same rows must give the same numbers.
 */
function canonical(digest: UserDigest): UserDigest {
  return { ...digest, events: [...digest.events].sort(byEventTime), sessions: [...digest.sessions].sort(bySessionStart) };
}

/**
 * Every aggregate of SPEC section 5 for one user, from one digest, at `digest.now`:
 * the dashboard and interventions are built from the other results of the same call, so
 * a user's aggregates are always consistent with each other.
 */
export function computeUserAggregates(input: UserDigest): ComputedAggregates {
  const digest = canonical(input);
  const { now, events, objectives } = digest;
  const patterns = studyPatterns(digest.sessions, now);
  const load = cognitiveLoad(digest);
  const ranked = rankedPredictions(objectives, load.loadScore, now);
  const predictions = strugglePredictions(ranked, load.loadScore);
  const advice = interventions(ranked, load, patterns);
  const missionEvents = events.filter((e) => MISSION_TYPES.includes(e.type as (typeof MISSION_TYPES)[number]));
  const streak = currentStreakDays(missionEvents, now);
  const missionsByPeriod = Object.fromEntries(PERIODS.map((p) => [p, missionsSummary(missionEvents, p, now, streak)]));
  const reductionByPeriod = Object.fromEntries(PERIODS.map((p) => [p, struggleReduction(events, digest.interventionEffects, p, now)]));
  const single: Partial<Record<AggregateName, unknown>> = {
    patterns,
    objectives: objectivesMastery(objectives),
    'cognitive-load/current': load,
    'stress-profile': stressProfile(events, objectives, load, now),
    predictions,
    interventions: advice,
    'behavioral-insights/dashboard': dashboard(digest, { missions7d: missionsByPeriod['7d']!, patterns, load, predictions, interventions: advice }),
  };
  const entries = STORED_AGGREGATE_KEYS.map(({ aggregate, period }) => ({
    aggregate,
    period,
    data:
      aggregate === 'missions/summary' ? missionsByPeriod[period] : aggregate === 'struggle-reduction' ? reductionByPeriod[period] : single[aggregate],
  }));
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
