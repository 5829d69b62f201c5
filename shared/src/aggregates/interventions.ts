import type { CognitiveLoad, Intervention, Interventions, Prediction, StudyPatterns } from './aggregate-schemas';
import { compareIds, roundHalfUp } from './math';
import { busiestHour } from './study-patterns';

const LEVEL_RANK = { LOW: 0, MODERATE: 1, HIGH: 2, CRITICAL: 3 } as const;

function byPriority(a: Intervention, b: Intervention): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.type !== b.type) return compareIds(a.type, b.type);
  if (a.objectiveId === b.objectiveId) return 0;
  if (a.objectiveId === null) return -1;
  if (b.objectiveId === null) return 1;
  return compareIds(a.objectiveId, b.objectiveId);
}

function fromPrediction(p: Prediction): Intervention {
  const stale = p.daysSinceLastPractice > 7;
  const percent = Math.round(p.struggleProbability * 100);
  return {
    type: stale ? 'SPACED_REPETITION_BOOST' : 'PREREQUISITE_REVIEW',
    priority: roundHalfUp(10 * p.struggleProbability),
    objectiveId: p.objectiveId,
    reason: stale
      ? `Struggle risk ${percent}% and not practised for ${Math.floor(p.daysSinceLastPractice)} days: review it again soon.`
      : `Struggle risk ${percent}% despite recent practice: review its prerequisites.`,
    suggestedHours: null,
  };
}

/** SPEC 5.7, from the other aggregates of the same computation. */
export function interventions(ranked: Prediction[], load: CognitiveLoad, patterns: StudyPatterns): Interventions {
  const list: Intervention[] = ranked
    .filter((p) => p.riskLevel === 'HIGH')
    .slice(0, 5)
    .map(fromPrediction);
  if (load.level === 'HIGH' || load.level === 'CRITICAL') {
    list.push({
      type: 'BREAK_SCHEDULING',
      priority: load.level === 'CRITICAL' ? 10 : 9,
      objectiveId: null,
      reason: `Cognitive load is ${load.level} (${Math.round(load.loadScore)}/100): schedule breaks.`,
      suggestedHours: null,
    });
  }
  if (patterns.preferredSessionMinutes !== null && patterns.preferredSessionMinutes > 60 && LEVEL_RANK[load.level] >= LEVEL_RANK.MODERATE) {
    list.push({
      type: 'REDUCE_SESSION_LENGTH',
      priority: 6,
      objectiveId: null,
      reason: `Sessions usually last ${Math.round(patterns.preferredSessionMinutes)} minutes under ${load.level} load: try shorter ones.`,
      suggestedHours: null,
    });
  }
  const busiest = busiestHour(patterns);
  if (patterns.optimalStudyHours.length > 0 && busiest !== null && !patterns.optimalStudyHours.includes(busiest)) {
    list.push({
      type: 'SCHEDULE_SHIFT',
      priority: 5,
      objectiveId: null,
      reason: `Most sessions start at ${busiest}:00 UTC, but accuracy is best at ${patterns.optimalStudyHours.map((h) => `${h}:00`).join(', ')} UTC.`,
      suggestedHours: [...patterns.optimalStudyHours],
    });
  }
  return { interventions: list.sort(byPriority) };
}
