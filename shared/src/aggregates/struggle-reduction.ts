import type { Period } from '../contracts/analytics-query';
import { INTERVENTION_TYPES } from '../contracts/behavioral-event';
import type { ReductionSummary, StruggleReduction } from './aggregate-schemas';
import { chronological, DAY_MS, mean } from './math';
import { inPeriod } from './missions-summary';
import type { EventRow } from './user-history';

const WINDOW_MS = 14 * DAY_MS;
const MIN_REVIEWS = 3;

function incorrectShare(reviews: EventRow[]): number {
  return reviews.filter((r) => r.correct === false).length / reviews.length;
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
  // Grouped by objective once: each intervention then scans only its objective's reviews,
  // not all of them (O(reviews + interventions × reviews per objective), not O(interventions × reviews)).
  const reviewsByObjective = new Map<string, EventRow[]>();
  for (const r of reviews) {
    if (r.type !== 'card_reviewed' || r.objectiveId === null) continue;
    const group = reviewsByObjective.get(r.objectiveId);
    if (group) group.push(r);
    else reviewsByObjective.set(r.objectiveId, [r]);
  }
  const kept = interventionEvents
    .filter((e) => e.type === 'intervention_applied' && e.objectiveId !== null && e.interventionType !== null && inPeriod(e.occurredAt, now, period))
    .sort(chronological<EventRow>((e) => e.occurredAt, (e) => e.eventId))
    .flatMap((e) => {
      const t = e.occurredAt.getTime();
      const ofObjective = reviewsByObjective.get(e.objectiveId!) ?? [];
      const before = ofObjective.filter((r) => r.occurredAt.getTime() > t - WINDOW_MS && r.occurredAt.getTime() < t);
      const after = ofObjective.filter(
        (r) => r.occurredAt.getTime() > t && r.occurredAt.getTime() < t + WINDOW_MS && r.occurredAt.getTime() <= now.getTime(),
      );
      if (before.length < MIN_REVIEWS || after.length < MIN_REVIEWS) return [];
      return [
        {
          eventId: e.eventId,
          interventionType: e.interventionType!,
          objectiveId: e.objectiveId!,
          appliedAt: e.occurredAt.toISOString(),
          before: incorrectShare(before),
          after: incorrectShare(after),
        },
      ];
    });
  const byType = Object.fromEntries(
    INTERVENTION_TYPES.map((type) => [type, summarize(kept.filter((k) => k.interventionType === type))]),
  ) as StruggleReduction['byType'];
  return { period, interventions: kept, byType, overall: summarize(kept) };
}
