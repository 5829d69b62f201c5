import type { CognitiveLoad, StressProfile } from './aggregate-schemas';
import { compareIds, DAY_MS, mean } from './math';
import { accuracy } from './objectives-mastery';
import type { ObjectiveReviews } from './user-digest';
import type { EventRow } from './user-history';

function trendOf(reports: EventRow[], now: Date): { trend: StressProfile['trend']; trendDelta: number | null } {
  const t = now.getTime();
  const thisWeek = mean(reports.filter((r) => r.occurredAt.getTime() > t - 7 * DAY_MS).map((r) => r.stress!));
  const lastWeek = mean(
    reports.filter((r) => r.occurredAt.getTime() > t - 14 * DAY_MS && r.occurredAt.getTime() <= t - 7 * DAY_MS).map((r) => r.stress!),
  );
  if (thisWeek === null || lastWeek === null) return { trend: 'INSUFFICIENT_DATA', trendDelta: null };
  const delta = thisWeek - lastWeek;
  return { trend: delta >= 0.5 ? 'RISING' : delta <= -0.5 ? 'FALLING' : 'STABLE', trendDelta: delta };
}

/** SPEC 5.5: self reports of the last 30 days, with 5.4's load history; triggers from the objectives' 30-day reviews. */
export function stressProfile(events: EventRow[], objectives: readonly ObjectiveReviews[], load: CognitiveLoad, now: Date): StressProfile {
  const reports = events.filter(
    (e) => e.type === 'self_report' && e.stress !== null && e.occurredAt.getTime() > now.getTime() - 30 * DAY_MS && e.occurredAt <= now,
  );
  const byHour = Array.from({ length: 24 }, () => [] as number[]);
  for (const r of reports) byHour[r.occurredAt.getUTCHours()]!.push(r.stress!);
  const triggers = objectives
    .filter((o) => o.last30d.reviews >= 5)
    .map((o) => ({ objectiveId: o.objectiveId, reviews: o.last30d.reviews, accuracy: accuracy(o.last30d) }))
    .sort((a, b) => (a.accuracy ?? 0) - (b.accuracy ?? 0) || compareIds(a.objectiveId, b.objectiveId))
    .slice(0, 3);
  return {
    reports: reports.length,
    avgStress: mean(reports.map((r) => r.stress!)),
    stressByHourOfDay: byHour.map((values, hour) => ({ hour, reports: values.length, avgStress: mean(values) })),
    ...trendOf(reports, now),
    triggers,
    loadHistory: load.history,
    burnoutRisk: load.burnoutRisk,
  };
}
