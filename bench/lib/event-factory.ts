import { randomBytes } from 'node:crypto';
import type { BehavioralEvent } from '@shared/contracts/behavioral-event';
import type { SessionCompleted } from '@shared/contracts/session-completed';
import type { Random } from './zipf';

/**
 * Valid events and histories for the scenarios: mostly card reviews over a few dozen
 * objectives, with missions, self-reports, content views, searches and interventions in
 * the proportions a study app produces. Ids are unique per bench run.
 */
const RUN = randomBytes(3).toString('hex');
let serial = 0;
export const uniqueId = (prefix: string) => `${prefix}${RUN}${(serial++).toString(36)}`;

export const OBJECTIVES = Array.from({ length: 30 }, (_, i) => `obj-${i}`);
const pick = <T>(random: Random, list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

/** A card review of one of the 30 objectives: 70 % correct, 1–21 s. */
export function reviewAt(random: Random, userId: string, at: Date): BehavioralEvent {
  return {
    eventId: uniqueId('e'),
    userId,
    occurredAt: at.toISOString(),
    type: 'card_reviewed',
    properties: { objectiveId: pick(random, OBJECTIVES), correct: random() < 0.7, responseMs: 1_000 + Math.floor(random() * 20_000), confidence: 1 + Math.floor(random() * 5) },
  };
}

export function eventAt(random: Random, userId: string, at: Date): BehavioralEvent {
  const roll = random();
  return roll < 0.8 ? reviewAt(random, userId, at) : otherEventAt(random, userId, at, roll);
}

/** Any event but a card review, in eventAt's proportions (`roll` in [0.8, 1) picks the type). */
function otherEventAt(random: Random, userId: string, at: Date, roll = 0.8 + 0.2 * random()): BehavioralEvent {
  const base = { eventId: uniqueId('e'), userId, occurredAt: at.toISOString() };
  if (roll < 0.84) return { ...base, type: 'mission_started', properties: { missionId: uniqueId('m'), estimatedMinutes: 20 } };
  if (roll < 0.87) return { ...base, type: 'mission_completed', properties: { missionId: uniqueId('m'), successScore: random(), durationMs: Math.floor(random() * 3_600_000) } };
  if (roll < 0.88) return { ...base, type: 'mission_abandoned', properties: { missionId: uniqueId('m'), durationMs: Math.floor(random() * 600_000) } };
  if (roll < 0.92) return { ...base, type: 'self_report', properties: { stress: 1 + Math.floor(random() * 5), energy: 1 + Math.floor(random() * 5) } };
  if (roll < 0.96) return { ...base, type: 'content_viewed', properties: { contentId: uniqueId('c'), contentType: 'video', durationMs: Math.floor(random() * 900_000) } };
  if (roll < 0.98) return { ...base, type: 'search_performed', properties: { resultCount: Math.floor(random() * 50), queryLength: 3 + Math.floor(random() * 30) } };
  return { ...base, type: 'intervention_applied', properties: { interventionType: 'SPACED_REPETITION_BOOST', objectiveId: pick(random, OBJECTIVES) } };
}

/**
 * What a student does in a day besides reviewing cards, at most: missions, self-reports,
 * content, searches and interventions come a few a day, reviews by the hundred. A long
 * history is long in card reviews (SPEC 6: 10,000 reviews in 90 days is an ordinary season).
 */
export const OTHER_EVENTS_PER_DAY = 8;
export const SESSIONS_PER_DAY = 3;
const HISTORY_DAYS = 120;

/**
 * `count` events spread over the 120 days before `now`: a fifth of them other than card
 * reviews (eventAt's mix), but no more than OTHER_EVENTS_PER_DAY a day; one session per
 * 25 events, but no more than SESSIONS_PER_DAY a day.
 */
export function historyFor(random: Random, userId: string, count: number, now: Date): { events: BehavioralEvent[]; sessions: SessionCompleted[] } {
  const span = HISTORY_DAYS * 86_400_000;
  const others = Math.min(Math.round(count * 0.2), OTHER_EVENTS_PER_DAY * HISTORY_DAYS);
  const at = () => new Date(now.getTime() - 60_000 - Math.floor(random() * span));
  const events = Array.from({ length: count }, (_, i) => (i < others ? otherEventAt(random, userId, at()) : reviewAt(random, userId, at())));
  const sessions = Array.from({ length: Math.max(1, Math.min(Math.floor(count / 25), SESSIONS_PER_DAY * HISTORY_DAYS)) }, () => {
    const start = now.getTime() - 3_600_000 - Math.floor(random() * span);
    const cards = 5 + Math.floor(random() * 30);
    return {
      sessionId: uniqueId('s'),
      userId,
      startedAt: new Date(start).toISOString(),
      endedAt: new Date(start + 60_000 * (5 + Math.floor(random() * 60))).toISOString(),
      cardsReviewed: cards,
      correctCount: Math.floor(cards * random()),
    };
  });
  return { events, sessions };
}
