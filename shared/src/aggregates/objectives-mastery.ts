import type { ObjectiveMastery, ObjectivesMastery } from './aggregate-schemas';
import { compareIds } from './math';
import type { ObjectiveReviews, ReviewCount } from './user-digest';

/** correct / reviews; null over nothing. */
export function accuracy(count: ReviewCount): number | null {
  return count.reviews === 0 ? null : count.correct / count.reviews;
}

export function masteryLevel(recent: number | null, attempts: number): ObjectiveMastery['masteryLevel'] {
  if (recent !== null && recent >= 0.9 && attempts >= 10) return 'MASTERED';
  if (recent !== null && recent >= 0.75) return 'PROFICIENT';
  if (recent !== null && recent >= 0.5) return 'DEVELOPING';
  return 'STRUGGLING';
}

/** SPEC 5.3: card reviews of the last 90 days per objective; recentAccuracy over its 10 latest of any age. */
export function objectivesMastery(objectives: readonly ObjectiveReviews[]): ObjectivesMastery {
  const list = [...objectives]
    .sort((a, b) => compareIds(a.objectiveId, b.objectiveId))
    .map((o): ObjectiveMastery => {
      const recent = accuracy(o.lastTen);
      return {
        objectiveId: o.objectiveId,
        attempts: o.last90d.reviews,
        correct: o.last90d.correct,
        accuracy: accuracy(o.last90d),
        recentAccuracy: recent,
        lastPracticedAt: o.latestAt.toISOString(),
        masteryLevel: masteryLevel(recent, o.last90d.reviews),
      };
    });
  const weaknesses = list
    .filter((o) => o.masteryLevel === 'STRUGGLING')
    .sort((a, b) => (a.accuracy ?? 0) - (b.accuracy ?? 0) || compareIds(a.objectiveId, b.objectiveId));
  return { objectives: list, weaknesses };
}
