import type { Prediction, StrugglePredictions } from './aggregate-schemas';
import { chronological, clamp, compareIds, DAY_MS } from './math';
import { recentAccuracy, reviewsByObjective } from './objectives-mastery';
import type { EventRow } from './user-history';

function riskLevel(p: number): Prediction['riskLevel'] {
  if (p >= 0.6) return 'HIGH';
  if (p >= 0.35) return 'MEDIUM';
  return 'LOW';
}

/** SPEC 5.6 for every qualifying objective, in order (probability desc, objectiveId asc). */
export function rankedPredictions(
  recentEvents: EventRow[],
  latestReviewsByObjective: Record<string, EventRow[]>,
  loadScore: number,
  now: Date,
): Prediction[] {
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

export function strugglePredictions(ranked: Prediction[], loadScore: number): StrugglePredictions {
  const counts = { HIGH: 0, MEDIUM: 0, LOW: 0 };
  for (const p of ranked) counts[p.riskLevel] += 1;
  return { predictions: ranked.slice(0, 20), counts, loadScore };
}
