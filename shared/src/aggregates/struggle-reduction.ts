import type { Period } from '../contracts/analytics-query';
import { INTERVENTION_TYPES } from '../contracts/behavioral-event';
import type { ReductionSummary, StruggleReduction } from './aggregate-schemas';
import { chronological, DAY_MS, mean } from './math';
import { inPeriod } from './missions-summary';
import type { EventRow } from './user-history';

const WINDOW_MS = 14 * DAY_MS;
const MIN_REVIEWS = 3;

/**
 * One objective's card reviews in time order, with a running count of incorrect ones, so
 * the reviews of any time window are found by binary search and counted in O(log n).
 */
interface ReviewTimeline {
  times: number[];
  /** incorrectBefore[i] = incorrect reviews among the first i. */
  incorrectBefore: number[];
}

function timelinesByObjective(reviews: EventRow[]): Map<string, ReviewTimeline> {
  const byObjective = new Map<string, EventRow[]>();
  for (const r of reviews) {
    if (r.type !== 'card_reviewed' || r.objectiveId === null) continue;
    const group = byObjective.get(r.objectiveId);
    if (group) group.push(r);
    else byObjective.set(r.objectiveId, [r]);
  }
  const timelines = new Map<string, ReviewTimeline>();
  for (const [objectiveId, group] of byObjective) {
    group.sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
    const incorrectBefore = [0];
    for (const r of group) incorrectBefore.push(incorrectBefore[incorrectBefore.length - 1]! + (r.correct === false ? 1 : 0));
    timelines.set(objectiveId, { times: group.map((r) => r.occurredAt.getTime()), incorrectBefore });
  }
  return timelines;
}

/** The first index whose time is > t (strict) or ≥ t (not strict). */
function firstAfter(times: number[], t: number, strict: boolean): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (strict ? times[mid]! <= t : times[mid]! < t) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Reviews in [from, to) of the timeline: how many, and the share of incorrect ones. */
function windowOf(timeline: ReviewTimeline, from: number, to: number): { count: number; incorrectShare: number } {
  const count = Math.max(0, to - from);
  return { count, incorrectShare: count === 0 ? 0 : (timeline.incorrectBefore[to]! - timeline.incorrectBefore[from]!) / count };
}

function summarize(kept: { before: number; after: number }[]): ReductionSummary {
  const before = mean(kept.map((k) => k.before));
  const after = mean(kept.map((k) => k.after));
  return {
    count: kept.length,
    before,
    after,
    reductionPercent: before === null || after === null || before === 0 ? null : ((before - after) / before) * 100,
  };
}

/** SPEC 5.8: the period filters the interventions' instants only. */
export function struggleReduction(interventionEvents: EventRow[], reviews: EventRow[], period: Period, now: Date): StruggleReduction {
  const timelines = timelinesByObjective(reviews);
  const nowMs = now.getTime();
  const kept = interventionEvents
    .filter((e) => e.type === 'intervention_applied' && e.objectiveId !== null && e.interventionType !== null && inPeriod(e.occurredAt, now, period))
    .sort(chronological<EventRow>((e) => e.occurredAt, (e) => e.eventId))
    .flatMap((e) => {
      const timeline = timelines.get(e.objectiveId!);
      if (!timeline) return [];
      const t = e.occurredAt.getTime();
      const { times } = timeline;
      // before: t − 14 d < occurredAt < t; after: t < occurredAt < t + 14 d and ≤ now.
      const before = windowOf(timeline, firstAfter(times, t - WINDOW_MS, true), firstAfter(times, t, false));
      const afterEnd = Math.min(firstAfter(times, t + WINDOW_MS, false), firstAfter(times, nowMs, true));
      const after = windowOf(timeline, firstAfter(times, t, true), afterEnd);
      if (before.count < MIN_REVIEWS || after.count < MIN_REVIEWS) return [];
      return [
        {
          eventId: e.eventId,
          interventionType: e.interventionType!,
          objectiveId: e.objectiveId!,
          appliedAt: e.occurredAt.toISOString(),
          before: before.incorrectShare,
          after: after.incorrectShare,
        },
      ];
    });
  const byType = Object.fromEntries(
    INTERVENTION_TYPES.map((type) => [type, summarize(kept.filter((k) => k.interventionType === type))]),
  ) as StruggleReduction['byType'];
  return { period, interventions: kept, byType, overall: summarize(kept) };
}
