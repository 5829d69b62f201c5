import { INTERVENTION_TYPES } from '@shared/contracts/behavioral-event';
import { PERIODS, type Period } from '@shared/contracts/analytics-query';
import { STORED_AGGREGATE_KEYS, type AggregateName } from '@shared/aggregates/registry';
import type { ObjectiveMastery, ObjectivesMastery, Prediction, StruggleReduction } from '@shared/aggregates/aggregate-schemas';
import { cognitiveLoad } from '@shared/aggregates/cognitive-load';
import type { ComputedAggregates } from '@shared/aggregates/compute-user-aggregates';
import { dashboard } from '@shared/aggregates/dashboard';
import { interventions } from '@shared/aggregates/interventions';
import { chronological, clamp, compareIds, DAY_MS, inWindow, utcDay } from '@shared/aggregates/math';
import { inPeriod, missionsSummary } from '@shared/aggregates/missions-summary';
import { masteryLevel } from '@shared/aggregates/objectives-mastery';
import { stressProfile } from '@shared/aggregates/stress-profile';
import { riskLevel, strugglePredictions } from '@shared/aggregates/struggle-predictions';
import { summarize } from '@shared/aggregates/struggle-reduction';
import { studyPatterns } from '@shared/aggregates/study-patterns';
import { emptyDigest, type UserDigest } from '@shared/aggregates/user-digest';
import type { EventRow, SessionRow, UserHistory } from '@shared/aggregates/user-history';

/**
 * The formulas as they were written over raw rows, before the digest and the rollups: the
 * test oracle of the digest path. Every part that now reads counts (objectives, predictions,
 * stress triggers, response times, the reviews around an intervention) is kept here as it
 * was, running over every row; the parts that never changed are called where they live.
 * The property tests hold `computeUserAggregates(loadDigests(…))` equal to this, value for
 * value, on random histories.
 */
const latestFirst = (a: EventRow, b: EventRow) => -chronological<EventRow>((e) => e.occurredAt, (e) => e.eventId)(a, b);

function reviewsByObjective(events: EventRow[], now: Date, windowMs: number): Map<string, EventRow[]> {
  const groups = new Map<string, EventRow[]>();
  for (const e of events) {
    if (e.type !== 'card_reviewed' || e.objectiveId === null || !inWindow(e.occurredAt, now, windowMs)) continue;
    const list = groups.get(e.objectiveId);
    if (list) list.push(e);
    else groups.set(e.objectiveId, [e]);
  }
  return groups;
}

function correctShare(reviews: EventRow[]): number | null {
  return reviews.length === 0 ? null : reviews.filter((r) => r.correct === true).length / reviews.length;
}

function recentAccuracy(latest: EventRow[] | undefined, fallback: EventRow[], now: Date): number | null {
  const candidates = (latest ?? fallback).filter((r) => r.occurredAt.getTime() <= now.getTime());
  return correctShare([...candidates].sort(latestFirst).slice(0, 10));
}

function objectivesMastery(recentEvents: EventRow[], latestReviewsByObjective: Record<string, EventRow[]>, now: Date): ObjectivesMastery {
  const groups = reviewsByObjective(recentEvents, now, 90 * DAY_MS);
  const objectives = [...groups.keys()].sort(compareIds).map((objectiveId): ObjectiveMastery => {
    const reviews = groups.get(objectiveId)!;
    const recent = recentAccuracy(latestReviewsByObjective[objectiveId], reviews, now);
    return {
      objectiveId,
      attempts: reviews.length,
      correct: reviews.filter((r) => r.correct === true).length,
      accuracy: correctShare(reviews),
      recentAccuracy: recent,
      lastPracticedAt: [...reviews].sort(latestFirst)[0]!.occurredAt.toISOString(),
      masteryLevel: masteryLevel(recent, reviews.length),
    };
  });
  const weaknesses = objectives.filter((o) => o.masteryLevel === 'STRUGGLING').sort((a, b) => (a.accuracy ?? 0) - (b.accuracy ?? 0) || compareIds(a.objectiveId, b.objectiveId));
  return { objectives, weaknesses };
}

function rankedPredictions(recentEvents: EventRow[], latestReviewsByObjective: Record<string, EventRow[]>, loadScore: number, now: Date): Prediction[] {
  return [...reviewsByObjective(recentEvents, now, 30 * DAY_MS)]
    .filter(([, reviews]) => reviews.length >= 3)
    .map(([objectiveId, reviews]): Prediction => {
      const recent = recentAccuracy(latestReviewsByObjective[objectiveId], reviews, now) ?? 0;
      const latest = [...reviews].sort(chronological<EventRow>((e) => e.occurredAt, (e) => e.eventId)).at(-1)!;
      const daysSinceLastPractice = (now.getTime() - latest.occurredAt.getTime()) / DAY_MS;
      const struggleProbability = clamp(0.5 * (1 - recent) + 0.3 * Math.min(1, daysSinceLastPractice / 30) + 0.2 * (loadScore / 100), 0, 1);
      return { objectiveId, recentAccuracy: recent, daysSinceLastPractice, struggleProbability, riskLevel: riskLevel(struggleProbability) };
    })
    .sort((a, b) => b.struggleProbability - a.struggleProbability || compareIds(a.objectiveId, b.objectiveId));
}

/** Each review of the objective, one by one, against SPEC 5.8's two windows. */
function struggleReduction(interventionEvents: EventRow[], reviews: EventRow[], period: Period, now: Date): StruggleReduction {
  const t0 = now.getTime();
  const share = (list: EventRow[]) => (list.length === 0 ? 0 : list.filter((r) => r.correct === false).length / list.length);
  const kept = interventionEvents
    .filter((e) => e.type === 'intervention_applied' && e.objectiveId !== null && e.interventionType !== null && inPeriod(e.occurredAt, now, period))
    .sort(chronological<EventRow>((e) => e.occurredAt, (e) => e.eventId))
    .flatMap((e) => {
      const t = e.occurredAt.getTime();
      const mine = reviews.filter((r) => r.type === 'card_reviewed' && r.objectiveId === e.objectiveId);
      const before = mine.filter((r) => r.occurredAt.getTime() > t - 14 * DAY_MS && r.occurredAt.getTime() < t);
      const after = mine.filter((r) => r.occurredAt.getTime() > t && r.occurredAt.getTime() < t + 14 * DAY_MS && r.occurredAt.getTime() <= t0);
      if (before.length < 3 || after.length < 3) return [];
      return [{ eventId: e.eventId, interventionType: e.interventionType!, objectiveId: e.objectiveId!, appliedAt: e.occurredAt.toISOString(), before: share(before), after: share(after) }];
    });
  const byType = Object.fromEntries(INTERVENTION_TYPES.map((type) => [type, summarize(kept.filter((k) => k.interventionType === type))])) as StruggleReduction['byType'];
  return { period, interventions: kept, byType, overall: summarize(kept) };
}

function responseTimes(events: EventRow[], now: Date, windowMs: number) {
  const values = events.flatMap((e) => (e.type === 'card_reviewed' && e.responseMs !== null && inWindow(e.occurredAt, now, windowMs) ? [e.responseMs] : []));
  return { sum: values.reduce((a, b) => a + b, 0), count: values.length };
}

/** Today's computeUserAggregates over a raw-row history (history-loader.ts's UserHistory). */
export function rowOracleAggregates(input: UserHistory): ComputedAggregates {
  const byTime = chronological<EventRow>((e) => e.occurredAt, (e) => e.eventId);
  const sort = (rows: EventRow[]) => [...rows].sort(byTime);
  const h = { ...input, recentEvents: sort(input.recentEvents), missionEvents: sort(input.missionEvents), interventionEvents: sort(input.interventionEvents) };
  const sessions = [...h.sessions].sort(chronological<SessionRow>((s) => s.startedAt, (s) => s.sessionId));
  const { now } = h;
  // The parts that read no card review run where they live, over the rows they always read.
  const rowsOnly: UserDigest = { ...emptyDigest(h.userId, now), events: h.recentEvents, sessions, storedLoadSnapshots: h.storedLoadSnapshots, totals: h.totals };
  const patterns = studyPatterns(sessions, now);
  const load = cognitiveLoad({ ...rowsOnly, responseTimes: { last24h: responseTimes(h.recentEvents, now, DAY_MS), last30d: responseTimes(h.recentEvents, now, 30 * DAY_MS) } });
  const ranked = rankedPredictions(h.recentEvents, h.latestReviewsByObjective, load.loadScore, now);
  const predictions = strugglePredictions(ranked, load.loadScore);
  const advice = interventions(ranked, load, patterns);
  const missionsByPeriod = Object.fromEntries(PERIODS.map((p) => [p, missionsSummary(h.missionEvents, p, now)]));
  const triggers = [...reviewsByObjective(h.recentEvents, now, 30 * DAY_MS)]
    .filter(([, reviews]) => reviews.length >= 5)
    .map(([objectiveId, reviews]) => ({ objectiveId, reviews: reviews.length, accuracy: correctShare(reviews) }))
    .sort((a, b) => (a.accuracy ?? 0) - (b.accuracy ?? 0) || compareIds(a.objectiveId, b.objectiveId))
    .slice(0, 3);
  const single: Partial<Record<AggregateName, unknown>> = {
    patterns,
    objectives: objectivesMastery(h.recentEvents, h.latestReviewsByObjective, now),
    'cognitive-load/current': load,
    'stress-profile': { ...stressProfile(h.recentEvents, [], load, now), triggers },
    predictions,
    interventions: advice,
    'behavioral-insights/dashboard': dashboard(rowsOnly, { missions7d: missionsByPeriod['7d']!, patterns, load, predictions, interventions: advice }),
  };
  const entries = STORED_AGGREGATE_KEYS.map(({ aggregate, period }) => ({
    aggregate,
    period,
    data:
      aggregate === 'missions/summary'
        ? missionsByPeriod[period]
        : aggregate === 'struggle-reduction'
          ? struggleReduction(h.interventionEvents, h.interventionReviews, period as Period, now)
          : single[aggregate],
  }));
  return { computedAt: now.toISOString(), entries, loadSnapshot: { day: utcDay(now), loadScore: load.loadScore, level: load.level } };
}
