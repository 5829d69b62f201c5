import type { ObjectiveMastery, ObjectivesMastery } from './aggregate-schemas';
import { chronological, compareIds, DAY_MS, inWindow } from './math';
import type { EventRow } from './user-history';

const latestFirst = (a: EventRow, b: EventRow) => -chronological<EventRow>((e) => e.occurredAt, (e) => e.eventId)(a, b);

/** Card reviews with an objective, in (now − windowMs, now], grouped by objectiveId. */
export function reviewsByObjective(events: EventRow[], now: Date, windowMs: number): Map<string, EventRow[]> {
  const groups = new Map<string, EventRow[]>();
  for (const e of events) {
    if (e.type !== 'card_reviewed' || e.objectiveId === null || !inWindow(e.occurredAt, now, windowMs)) continue;
    const list = groups.get(e.objectiveId);
    if (list) list.push(e);
    else groups.set(e.objectiveId, [e]);
  }
  return groups;
}

export function correctShare(reviews: EventRow[]): number | null {
  return reviews.length === 0 ? null : reviews.filter((r) => r.correct === true).length / reviews.length;
}

/** Accuracy of the 10 most recent reviews of any age (ties by eventId). */
export function recentAccuracy(latest: EventRow[] | undefined, fallback: EventRow[], now: Date): number | null {
  const candidates = (latest ?? fallback).filter((r) => r.occurredAt.getTime() <= now.getTime());
  return correctShare([...candidates].sort(latestFirst).slice(0, 10));
}

function masteryLevel(recent: number | null, attempts: number): ObjectiveMastery['masteryLevel'] {
  if (recent !== null && recent >= 0.9 && attempts >= 10) return 'MASTERED';
  if (recent !== null && recent >= 0.75) return 'PROFICIENT';
  if (recent !== null && recent >= 0.5) return 'DEVELOPING';
  return 'STRUGGLING';
}

/** SPEC 5.3: card reviews of the last 90 days, per objective. */
export function objectivesMastery(recentEvents: EventRow[], latestReviewsByObjective: Record<string, EventRow[]>, now: Date): ObjectivesMastery {
  const groups = reviewsByObjective(recentEvents, now, 90 * DAY_MS);
  const objectives = [...groups.keys()].sort(compareIds).map((objectiveId): ObjectiveMastery => {
    const reviews = groups.get(objectiveId)!;
    const recent = recentAccuracy(latestReviewsByObjective[objectiveId], reviews, now);
    const latest = [...reviews].sort(latestFirst)[0]!;
    return {
      objectiveId,
      attempts: reviews.length,
      correct: reviews.filter((r) => r.correct === true).length,
      accuracy: correctShare(reviews),
      recentAccuracy: recent,
      lastPracticedAt: latest.occurredAt.toISOString(),
      masteryLevel: masteryLevel(recent, reviews.length),
    };
  });
  const weaknesses = objectives
    .filter((o) => o.masteryLevel === 'STRUGGLING')
    .sort((a, b) => (a.accuracy ?? 0) - (b.accuracy ?? 0) || compareIds(a.objectiveId, b.objectiveId));
  return { objectives, weaknesses };
}
