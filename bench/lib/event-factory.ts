import { randomBytes } from 'node:crypto';
import type { BehavioralEvent, EventType } from '@shared/contracts/behavioral-event';
import { simulatedEvent } from '../../scripts/simulation/study-app';
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

/** A card review of one of the 30 objectives: 70 % correct. */
export function reviewAt(random: Random, userId: string, at: Date): BehavioralEvent {
  return simulatedEvent(random, 'card_reviewed', userId, at, { objectives: OBJECTIVES, eventId: uniqueId('e') });
}

/** Any event, 80 % card reviews, the rest in the proportions a study app produces. */
export function eventAt(random: Random, userId: string, at: Date): BehavioralEvent {
  const roll = random();
  return roll < 0.8 ? reviewAt(random, userId, at) : otherEventAt(random, userId, at, roll);
}

/** The share of each other type among the other events (the fifth of events that are not card reviews). */
const OTHER_TYPES: [EventType, number][] = [
  ['mission_started', 0.2],
  ['mission_completed', 0.15],
  ['mission_abandoned', 0.05],
  ['self_report', 0.2],
  ['content_viewed', 0.2],
  ['search_performed', 0.1],
  ['intervention_applied', 0.1],
];

/** Any event but a card review, in eventAt's proportions (`roll` in [0.8, 1) picks the type). */
function otherEventAt(random: Random, userId: string, at: Date, roll = 0.8 + 0.2 * random()): BehavioralEvent {
  let share = (roll - 0.8) / 0.2;
  const [type] = OTHER_TYPES.find(([, s]) => (share -= s) < 0) ?? OTHER_TYPES.at(-1)!;
  return simulatedEvent(random, type, userId, at, { objectives: OBJECTIVES, eventId: uniqueId('e') });
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
