import type { Period } from '../contracts/analytics-query';
import { INTERVENTION_TYPES } from '../contracts/behavioral-event';
import type { ReductionSummary, StruggleReduction } from './aggregate-schemas';
import { chronological, mean } from './math';
import { inPeriod } from './missions-summary';
import type { IncorrectCount, InterventionEffect } from './user-digest';
import type { EventRow } from './user-history';

const MIN_REVIEWS = 3;

function incorrectShare(count: IncorrectCount): number {
  return count.reviews === 0 ? 0 : count.incorrect / count.reviews;
}

/** Means over the kept interventions of one type (or all), and the reduction between them. */
export function summarize(kept: { before: number; after: number }[]): ReductionSummary {
  const before = mean(kept.map((k) => k.before));
  const after = mean(kept.map((k) => k.after));
  return {
    count: kept.length,
    before,
    after,
    reductionPercent: before === null || after === null || before === 0 ? null : ((before - after) / before) * 100,
  };
}

/**
 * SPEC 5.8: the interventions applied in the period that name an objective, each with the
 * reviews of that objective in the 14 days before and after it (UserDigest.interventionEffects),
 * kept with at least 3 on each side. The period filters the interventions' instants only.
 */
export function struggleReduction(events: EventRow[], effects: Record<string, InterventionEffect>, period: Period, now: Date): StruggleReduction {
  const kept = events
    .filter((e) => e.type === 'intervention_applied' && e.objectiveId !== null && e.interventionType !== null && inPeriod(e.occurredAt, now, period))
    .sort(chronological<EventRow>((e) => e.occurredAt, (e) => e.eventId))
    .flatMap((e) => {
      const effect = effects[e.eventId];
      if (!effect || effect.before.reviews < MIN_REVIEWS || effect.after.reviews < MIN_REVIEWS) return [];
      return [
        {
          eventId: e.eventId,
          interventionType: e.interventionType!,
          objectiveId: e.objectiveId!,
          appliedAt: e.occurredAt.toISOString(),
          before: incorrectShare(effect.before),
          after: incorrectShare(effect.after),
        },
      ];
    });
  const byType = Object.fromEntries(
    INTERVENTION_TYPES.map((type) => [type, summarize(kept.filter((k) => k.interventionType === type))]),
  ) as StruggleReduction['byType'];
  return { period, interventions: kept, byType, overall: summarize(kept) };
}
