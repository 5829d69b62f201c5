import { randomBytes } from 'node:crypto';
import { CONTENT_TYPES, INTERVENTION_TYPES, type BehavioralEvent, type EventType } from '@shared/contracts/behavioral-event';
import type { SessionCompleted } from '@shared/contracts/session-completed';

/**
 * A simulated study app: students who study in sessions at their habitual hours, review
 * cards of a handful of objectives (some they master, some they struggle with), run
 * missions, report stress, receive interventions, read and search. Deterministic for a seed.
 */
export type Random = () => number;

export function seededRandom(seed: number): Random {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4_294_967_296;
  };
}

export interface Activity {
  events: BehavioralEvent[];
  sessions: SessionCompleted[];
}

// Ids are unique across processes too (two simulators, or one run after another with the
// same seed), so every generated event is a new row, never a duplicate the store drops.
const PROCESS_TAG = randomBytes(3).toString('hex');
let serial = 0;
const nextId = (prefix: string) => `${prefix}-${PROCESS_TAG}${Date.now().toString(36)}-${(serial++).toString(36)}`;
const pick = <T>(random: Random, list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

/** What a caller decides of a simulated event; the rest is drawn at random. */
export interface EventDraw {
  /** The objectives to pick a review's or an intervention's from. */
  objectives: readonly string[];
  /** The chance that a review is correct. @defaultValue 0.7 */
  skill?: number;
  /** The session a review belongs to. */
  sessionId?: string;
  eventId?: string;
}

/**
 * One valid event of `type` for `userId` at `at` (SPEC 3), its properties drawn from
 * `random`: the one place the simulated study app names an event's properties.
 */
export function simulatedEvent(random: Random, type: EventType, userId: string, at: Date, draw: EventDraw): BehavioralEvent {
  const base = { eventId: draw.eventId ?? nextId('e'), userId, occurredAt: at.toISOString() };
  switch (type) {
    case 'card_reviewed':
      return {
        ...base,
        type,
        properties: {
          objectiveId: pick(random, draw.objectives),
          correct: random() < (draw.skill ?? 0.7),
          responseMs: Math.round(2_000 + random() * 15_000),
          confidence: 1 + Math.floor(random() * 5),
          ...(draw.sessionId ? { sessionId: draw.sessionId } : {}),
        },
      };
    case 'mission_started':
      return { ...base, type, properties: { missionId: nextId('m'), objectiveIds: draw.objectives.slice(0, 2), estimatedMinutes: 20 } };
    case 'mission_completed':
      return { ...base, type, properties: { missionId: nextId('m'), successScore: Math.round(random() * 100) / 100, durationMs: Math.round(random() * 3_600_000) } };
    case 'mission_abandoned':
      return { ...base, type, properties: { missionId: nextId('m'), durationMs: Math.round(random() * 600_000) } };
    case 'self_report':
      return { ...base, type, properties: { stress: 1 + Math.floor(random() * 5), energy: 1 + Math.floor(random() * 5) } };
    case 'intervention_applied':
      return { ...base, type, properties: { interventionType: pick(random, INTERVENTION_TYPES), objectiveId: pick(random, draw.objectives) } };
    case 'content_viewed':
      return { ...base, type, properties: { contentId: nextId('c'), contentType: pick(random, CONTENT_TYPES), durationMs: Math.round(random() * 600_000) } };
    case 'search_performed':
      return { ...base, type, properties: { resultCount: Math.floor(random() * 40), queryLength: 3 + Math.floor(random() * 30) } };
  }
}

/** A mission's start and its end (completed or abandoned) over [start, end], one mission id. */
function mission(random: Random, userId: string, start: Date, end: Date, objectives: readonly string[]): BehavioralEvent[] {
  const started = simulatedEvent(random, 'mission_started', userId, start, { objectives });
  const finished = simulatedEvent(random, random() < 0.75 ? 'mission_completed' : 'mission_abandoned', userId, end, { objectives });
  // One mission: the end carries the start's id, and the session's length.
  Object.assign(finished.properties, { missionId: (started.properties as { missionId: string }).missionId, durationMs: end.getTime() - start.getTime() });
  return [started, finished];
}

/** One study session of a user starting at `start`, with the events it produces. */
export function studySession(random: Random, userId: string, start: Date, objectives: { id: string; skill: number }[]): Activity {
  const events: BehavioralEvent[] = [];
  const sessionId = nextId('s');
  const ids = objectives.map((o) => o.id);
  const cards = 5 + Math.floor(random() * 30);
  let at = start.getTime();
  let correct = 0;
  let totalResponse = 0;
  for (let i = 0; i < cards; i += 1) {
    const objective = pick(random, objectives);
    const review = simulatedEvent(random, 'card_reviewed', userId, new Date(at), { objectives: [objective.id], skill: objective.skill, sessionId });
    const { responseMs, correct: ok } = review.properties as { responseMs: number; correct: boolean };
    // The review is answered once its response time has passed, a pause after the previous one.
    at += responseMs + Math.round(random() * 5_000);
    review.occurredAt = new Date(at).toISOString();
    correct += ok ? 1 : 0;
    totalResponse += responseMs;
    events.push(review);
  }
  const end = new Date(at + 1_000);
  if (random() < 0.3) events.push(...mission(random, userId, start, end, ids));
  if (random() < 0.4) events.push(simulatedEvent(random, 'self_report', userId, end, { objectives: ids }));
  if (random() < 0.2) events.push(simulatedEvent(random, 'intervention_applied', userId, start, { objectives: ids }));
  if (random() < 0.5) events.push(simulatedEvent(random, 'content_viewed', userId, end, { objectives: ids }));
  if (random() < 0.3) events.push(simulatedEvent(random, 'search_performed', userId, end, { objectives: ids }));
  const session: SessionCompleted = {
    sessionId,
    userId,
    startedAt: start.toISOString(),
    endedAt: end.toISOString(),
    cardsReviewed: cards,
    correctCount: correct,
    avgResponseMs: Math.round(totalResponse / cards),
    objectiveIds: [...new Set(ids)].slice(0, 5),
  };
  return { events, sessions: [session] };
}

/** A simulated student: the objectives they work on (with their skill), their usual hour. */
export interface Student {
  userId: string;
  objectives: { id: string; skill: number }[];
  habitualHour: number;
}

export function createStudent(random: Random, userId: string): Student {
  const objectives = Array.from({ length: 3 + Math.floor(random() * 6) }, (_, i) => ({ id: `obj-${i}`, skill: 0.3 + random() * 0.65 }));
  return { userId, objectives, habitualHour: 7 + Math.floor(random() * 14) };
}

/**
 * The longest session studySession makes (35 cards of at most 22 s each, plus a second)
 * is under 13 minutes; a live session that starts this long ago has ended by `now`, so
 * none of its events lies in the future.
 */
export const LIVE_SESSION_LEAD_MS = 15 * 60_000;

/** A session the student has just finished: it ended at or before `now`. */
export function liveSession(random: Random, student: Student, now: Date): Activity {
  return studySession(random, student.userId, new Date(now.getTime() - LIVE_SESSION_LEAD_MS), student.objectives);
}

/** A user's history over `days` days before `now`: one or two sessions on most days, at habitual hours. */
export function userActivity(random: Random, userId: string, now: Date, days: number): Activity {
  const { objectives, habitualHour } = createStudent(random, userId);
  const all: Activity = { events: [], sessions: [] };
  for (let day = days; day >= 1; day -= 1) {
    if (random() < 0.3) continue;
    const start = new Date(now.getTime() - day * 86_400_000);
    start.setUTCHours(habitualHour + Math.floor(random() * 3), Math.floor(random() * 60), 0, 0);
    if (start.getTime() > now.getTime() - 3_600_000) continue;
    const activity = studySession(random, userId, start, objectives);
    all.events.push(...activity.events);
    all.sessions.push(...activity.sessions);
  }
  return all;
}
