import type { Prediction, StrugglePredictions } from './aggregate-schemas';
import { clamp, compareIds, DAY_MS } from './math';
import { accuracy } from './objectives-mastery';
import type { ObjectiveReviews } from './user-digest';

export function riskLevel(p: number): Prediction['riskLevel'] {
  if (p >= 0.6) return 'HIGH';
  if (p >= 0.35) return 'MEDIUM';
  return 'LOW';
}

/** SPEC 5.6 for every objective with ≥ 3 reviews in the last 30 days, in order (probability desc, objectiveId asc). */
export function rankedPredictions(objectives: readonly ObjectiveReviews[], loadScore: number, now: Date): Prediction[] {
  return objectives
    .filter((o) => o.last30d.reviews >= 3)
    .map((o): Prediction => {
      const recent = accuracy(o.lastTen) ?? 0;
      // The latest review of the 30 days is the latest of any age: there is one in the 30 days.
      const daysSinceLastPractice = (now.getTime() - o.latestAt.getTime()) / DAY_MS;
      const struggleProbability = clamp(0.5 * (1 - recent) + 0.3 * Math.min(1, daysSinceLastPractice / 30) + 0.2 * (loadScore / 100), 0, 1);
      return { objectiveId: o.objectiveId, recentAccuracy: recent, daysSinceLastPractice, struggleProbability, riskLevel: riskLevel(struggleProbability) };
    })
    .sort((a, b) => b.struggleProbability - a.struggleProbability || compareIds(a.objectiveId, b.objectiveId));
}

export function strugglePredictions(ranked: Prediction[], loadScore: number): StrugglePredictions {
  const counts = { HIGH: 0, MEDIUM: 0, LOW: 0 };
  for (const p of ranked) counts[p.riskLevel] += 1;
  return { predictions: ranked.slice(0, 20), counts, loadScore };
}
