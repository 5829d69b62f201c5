import { randomBytes } from 'node:crypto';
import type { BehavioralEvent, InterventionType } from '@shared/contracts/behavioral-event';
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

const INTERVENTIONS: InterventionType[] = ['SPACED_REPETITION_BOOST', 'PREREQUISITE_REVIEW', 'BREAK_SCHEDULING', 'REDUCE_SESSION_LENGTH', 'SCHEDULE_SHIFT'];
const CONTENT = ['article', 'video', 'card', 'question'] as const;

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

/** One study session of a user starting at `start`, with the events it produces. */
export function studySession(random: Random, userId: string, start: Date, objectives: { id: string; skill: number }[]): Activity {
  const events: BehavioralEvent[] = [];
  const sessionId = nextId('s');
  const cards = 5 + Math.floor(random() * 30);
  let at = start.getTime();
  let correct = 0;
  let totalResponse = 0;
  for (let i = 0; i < cards; i += 1) {
    const objective = pick(random, objectives);
    const ok = random() < objective.skill;
    const responseMs = Math.round(2_000 + random() * 15_000);
    at += responseMs + Math.round(random() * 5_000);
    correct += ok ? 1 : 0;
    totalResponse += responseMs;
    events.push({
      eventId: nextId('e'),
      userId,
      type: 'card_reviewed',
      occurredAt: new Date(at).toISOString(),
      properties: { objectiveId: objective.id, correct: ok, responseMs, confidence: 1 + Math.floor(random() * 5), sessionId },
    });
  }
  const end = new Date(at + 1_000);
  if (random() < 0.3) {
    const missionId = nextId('m');
    events.push({ eventId: nextId('e'), userId, type: 'mission_started', occurredAt: start.toISOString(), properties: { missionId, objectiveIds: objectives.slice(0, 2).map((o) => o.id), estimatedMinutes: 20 } });
    const completed = random() < 0.75;
    events.push(
      completed
        ? { eventId: nextId('e'), userId, type: 'mission_completed', occurredAt: end.toISOString(), properties: { missionId, successScore: Math.round(random() * 100) / 100, durationMs: end.getTime() - start.getTime() } }
        : { eventId: nextId('e'), userId, type: 'mission_abandoned', occurredAt: end.toISOString(), properties: { missionId, durationMs: end.getTime() - start.getTime() } },
    );
  }
  if (random() < 0.4) events.push({ eventId: nextId('e'), userId, type: 'self_report', occurredAt: end.toISOString(), properties: { stress: 1 + Math.floor(random() * 5), energy: 1 + Math.floor(random() * 5) } });
  if (random() < 0.2) {
    events.push({ eventId: nextId('e'), userId, type: 'intervention_applied', occurredAt: start.toISOString(), properties: { interventionType: pick(random, INTERVENTIONS), objectiveId: pick(random, objectives).id } });
  }
  if (random() < 0.5) {
    events.push({ eventId: nextId('e'), userId, type: 'content_viewed', occurredAt: end.toISOString(), properties: { contentId: nextId('c'), contentType: pick(random, CONTENT), durationMs: Math.round(random() * 600_000) } });
  }
  if (random() < 0.3) events.push({ eventId: nextId('e'), userId, type: 'search_performed', occurredAt: end.toISOString(), properties: { resultCount: Math.floor(random() * 40), queryLength: 3 + Math.floor(random() * 30) } });
  const session: SessionCompleted = {
    sessionId,
    userId,
    startedAt: start.toISOString(),
    endedAt: end.toISOString(),
    cardsReviewed: cards,
    correctCount: correct,
    avgResponseMs: Math.round(totalResponse / cards),
    objectiveIds: [...new Set(objectives.map((o) => o.id))].slice(0, 5),
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
