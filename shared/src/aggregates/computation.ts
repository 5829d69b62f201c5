import type { CognitiveLoad, Interventions, Prediction, StrugglePredictions, StudyPatterns } from './aggregate-schemas';
import { cognitiveLoad } from './cognitive-load';
import { interventions } from './interventions';
import { chronological } from './math';
import { currentStreakDays } from './missions-summary';
import { rankedPredictions, strugglePredictions } from './struggle-predictions';
import { studyPatterns } from './study-patterns';
import { MISSION_TYPES, type UserDigest } from './user-digest';
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
  missionEvents: EventRow[];
  /** currentStreakDays (SPEC 5.1): the same for every period. */
  streak: number;
}

const byEventTime = chronological<EventRow>((e) => e.occurredAt, (e) => e.eventId);
const bySessionStart = chronological<SessionRow>((s) => s.startedAt, (s) => s.sessionId);
const isMission = (e: EventRow) => (MISSION_TYPES as readonly string[]).includes(e.type);

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
  const missionEvents = digest.events.filter(isMission);
  return {
    digest,
    now,
    patterns,
    load,
    ranked,
    predictions: strugglePredictions(ranked, load.loadScore),
    advice: interventions(ranked, load, patterns),
    missionEvents,
    streak: currentStreakDays(missionEvents, now),
  };
}
