import type { Period } from '../contracts/analytics-query';
import type { CognitiveLoad, Interventions, MissionsSummary, Prediction, StrugglePredictions, StudyPatterns } from './aggregate-schemas';
import { cognitiveLoad } from './cognitive-load';
import { interventions } from './interventions';
import { chronological } from './math';
import { currentStreakDays, missionsSummary } from './missions-summary';
import { rankedPredictions, strugglePredictions } from './struggle-predictions';
import { studyPatterns } from './study-patterns';
import { isMissionEvent, type UserDigest } from './user-digest';
import type { EventRow, SessionRow } from './user-history';

/**
 * One computation of a user: the digest in canonical order and the results several
 * aggregates share, each computed once. The dashboard and interventions are built from the
 * others' results of the same computation, so a user's aggregates agree with each other.
 */
export interface Computation {
  digest: UserDigest;
  now: Date;
  patterns: StudyPatterns;
  load: CognitiveLoad;
  /** Every qualifying objective's prediction, in SPEC 5.6's order. */
  ranked: Prediction[];
  predictions: StrugglePredictions;
  advice: Interventions;
  /** The missions summary of a period (SPEC 5.1), made once: the 7-day one is also the dashboard's. */
  missionsIn(period: Period): MissionsSummary;
}

const byEventTime = chronological<EventRow>((e) => e.occurredAt, (e) => e.eventId);
const bySessionStart = chronological<SessionRow>((s) => s.startedAt, (s) => s.sessionId);

/**
 * Rows in one canonical order (time, then id), whatever order the store returned them in:
 * floating-point sums depend on order, and the same rows must give the same numbers.
 */
function canonical(digest: UserDigest): UserDigest {
  return { ...digest, events: [...digest.events].sort(byEventTime), sessions: [...digest.sessions].sort(bySessionStart) };
}

export function computationOf(input: UserDigest): Computation {
  const digest = canonical(input);
  const { now } = digest;
  const patterns = studyPatterns(digest.sessions, now);
  const load = cognitiveLoad(digest);
  const ranked = rankedPredictions(digest.objectives, load.loadScore, now);
  const missionEvents = digest.events.filter(isMissionEvent);
  const streak = currentStreakDays(missionEvents, now);
  const summaries = new Map<Period, MissionsSummary>();
  return {
    digest,
    now,
    patterns,
    load,
    ranked,
    predictions: strugglePredictions(ranked, load.loadScore),
    advice: interventions(ranked, load, patterns),
    missionsIn(period) {
      let summary = summaries.get(period);
      if (!summary) summaries.set(period, (summary = missionsSummary(missionEvents, period, now, streak)));
      return summary;
    },
  };
}
