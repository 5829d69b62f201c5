import { chronological, compareIds, DAY_MS, inWindow } from './math';
import type { EventRow, LoadSnapshotRow, SessionRow, UserHistory } from './user-history';

/**
 * What the formulas of SPEC section 5 read: a user's raw rows where a formula needs rows,
 * and counts over card reviews where it needs only counts. A student who reviews cards
 * daily has tens of thousands of reviews; the formulas never see them one by one, so a
 * computation costs what the windows hold in counts, not the length of the history.
 *
 * `digestOfHistory` below defines every count over raw rows; the store's digest loader
 * fills the same shape from rollups (per day and week, recomputed from raw rows) plus the
 * raw rows at each window's edges, and the property tests hold the two equal.
 */

/** Card reviews in a window: how many, and how many with `correct` true. */
export interface ReviewCount {
  reviews: number;
  correct: number;
}

/** One objective with at least one card review in the last 90 days. */
export interface ObjectiveReviews {
  objectiveId: string;
  /** Reviews with occurredAt in (now − 90 d, now]. */
  last90d: ReviewCount;
  /** Reviews with occurredAt in (now − 30 d, now]. */
  last30d: ReviewCount;
  /** The latest review's occurredAt (≤ now). */
  latestAt: Date;
  /** Its 10 latest reviews of any age (≤ now; ties by eventId): recentAccuracy's input. */
  lastTen: ReviewCount;
}

/** Σ and count of the card reviews' responseMs (reviews without one are not counted). */
export interface ResponseTimes {
  sum: number;
  count: number;
}

/** Reviews of an intervention's objective on one side of it, and how many were incorrect (`correct` false). */
export interface IncorrectCount {
  reviews: number;
  incorrect: number;
}

/** SPEC 5.8's windows around an intervention at t: before = (t − 14 d, t), after = (t, t + 14 d) and ≤ now. */
export interface InterventionEffect {
  before: IncorrectCount;
  after: IncorrectCount;
}

export interface UserDigest {
  userId: string;
  now: Date;
  /** Every objective reviewed in the last 90 days, any order. */
  objectives: ObjectiveReviews[];
  responseTimes: { last24h: ResponseTimes; last30d: ResponseTimes };
  /**
   * The events the formulas read one by one, any order, all ≤ now: mission and
   * intervention events of any age, self reports of the last 30 days, content views and
   * searches of the last 7 days. Never card reviews.
   */
  events: EventRow[];
  /** By the eventId of each intervention (≤ now) that names an objective. */
  interventionEffects: Record<string, InterventionEffect>;
  /** Sessions with startedAt in (now − 90 d, now], plus any whose endedAt is in (now − 24 h, now]. */
  sessions: SessionRow[];
  /** Stored daily load snapshots of the last 14 UTC days; today's, if present, is replaced. */
  storedLoadSnapshots: LoadSnapshotRow[];
  /** All time, ≤ now. */
  totals: { events: number; sessions: number; lastActivityAt: Date | null };
}

export const MISSION_TYPES = ['mission_started', 'mission_completed', 'mission_abandoned'] as const;
export const isMissionEvent = (e: Pick<EventRow, 'type'>) => (MISSION_TYPES as readonly string[]).includes(e.type);
const INTERVENTION_WINDOW_MS = 14 * DAY_MS;

/** Whether the formulas read this event one by one (see UserDigest.events). */
export function isDigestEvent(e: EventRow, now: Date): boolean {
  if (e.occurredAt.getTime() > now.getTime()) return false;
  switch (e.type) {
    case 'mission_started':
    case 'mission_completed':
    case 'mission_abandoned':
    case 'intervention_applied':
      return true;
    case 'self_report':
      return inWindow(e.occurredAt, now, 30 * DAY_MS);
    case 'content_viewed':
    case 'search_performed':
      return inWindow(e.occurredAt, now, 7 * DAY_MS);
    default:
      return false;
  }
}

export function emptyDigest(userId: string, now: Date): UserDigest {
  return {
    userId,
    now,
    objectives: [],
    responseTimes: { last24h: { sum: 0, count: 0 }, last30d: { sum: 0, count: 0 } },
    events: [],
    interventionEffects: {},
    sessions: [],
    storedLoadSnapshots: [],
    totals: { events: 0, sessions: 0, lastActivityAt: null },
  };
}

/** The same digest with its lists in one order (objectives, events and sessions by id, snapshots by day): two digests of the same rows compare equal. */
export function sameOrder(digest: UserDigest): UserDigest {
  const byId = <T>(id: (item: T) => string) => (a: T, b: T) => compareIds(id(a), id(b));
  return {
    ...digest,
    objectives: [...digest.objectives].sort(byId((o) => o.objectiveId)),
    events: [...digest.events].sort(byId((e) => e.eventId)),
    interventionEffects: Object.fromEntries(Object.entries(digest.interventionEffects).sort(([a], [b]) => compareIds(a, b))),
    sessions: [...digest.sessions].sort(byId((s) => s.sessionId)),
    storedLoadSnapshots: [...digest.storedLoadSnapshots].sort(byId((s) => s.day)),
  };
}

/** How many rows and counts a digest holds: what a recompute batch is bounded by besides its number of users. */
export function digestSize(digest: UserDigest): number {
  return digest.objectives.length + digest.events.length + digest.sessions.length + Object.keys(digest.interventionEffects).length;
}

const latestFirst = (a: EventRow, b: EventRow) => -chronological<EventRow>((e) => e.occurredAt, (e) => e.eventId)(a, b);

function reviewCount(reviews: readonly EventRow[]): ReviewCount {
  return { reviews: reviews.length, correct: reviews.filter((r) => r.correct === true).length };
}

function responseTimes(reviews: readonly EventRow[]): ResponseTimes {
  let sum = 0;
  let count = 0;
  for (const r of reviews) {
    if (r.responseMs === null) continue;
    sum += r.responseMs;
    count += 1;
  }
  return { sum, count };
}

function incorrectCount(reviews: readonly EventRow[]): IncorrectCount {
  return { reviews: reviews.length, incorrect: reviews.filter((r) => r.correct === false).length };
}

function objectivesOf(history: UserHistory): ObjectiveReviews[] {
  const { now } = history;
  const byObjective = new Map<string, EventRow[]>();
  for (const e of history.recentEvents) {
    if (e.type !== 'card_reviewed' || e.objectiveId === null || !inWindow(e.occurredAt, now, 90 * DAY_MS)) continue;
    const group = byObjective.get(e.objectiveId);
    if (group) group.push(e);
    else byObjective.set(e.objectiveId, [e]);
  }
  return [...byObjective].map(([objectiveId, reviews]) => {
    const anyAge = (history.latestReviewsByObjective[objectiveId] ?? reviews).filter((r) => r.occurredAt.getTime() <= now.getTime());
    return {
      objectiveId,
      last90d: reviewCount(reviews),
      last30d: reviewCount(reviews.filter((r) => inWindow(r.occurredAt, now, 30 * DAY_MS))),
      latestAt: [...reviews].sort(latestFirst)[0]!.occurredAt,
      lastTen: reviewCount([...anyAge].sort(latestFirst).slice(0, 10)),
    };
  });
}

function interventionEffectsOf(history: UserHistory): Record<string, InterventionEffect> {
  const nowMs = history.now.getTime();
  // No prototype: event ids such as `__proto__` are valid Ids (SPEC 3).
  const effects: Record<string, InterventionEffect> = Object.create(null);
  for (const intervention of history.interventionEvents) {
    if (intervention.type !== 'intervention_applied' || intervention.objectiveId === null || intervention.occurredAt.getTime() > nowMs) continue;
    const t = intervention.occurredAt.getTime();
    const reviews = history.interventionReviews.filter((r) => r.type === 'card_reviewed' && r.objectiveId === intervention.objectiveId);
    const between = (from: number, to: number) => reviews.filter((r) => r.occurredAt.getTime() > from && r.occurredAt.getTime() < to);
    effects[intervention.eventId] = {
      before: incorrectCount(between(t - INTERVENTION_WINDOW_MS, t)),
      after: incorrectCount(between(t, Math.min(t + INTERVENTION_WINDOW_MS, nowMs + 1))),
    };
  }
  return effects;
}

/**
 * The digest of a user's raw rows (as the history loader reads them): the definition of
 * every count the formulas read. `pnpm recompute -- --verify` computes with it, so stored
 * aggregates are checked against the formulas over raw rows, whatever the rollups say.
 */
export function digestOfHistory(history: UserHistory): UserDigest {
  const { now } = history;
  const reviews = history.recentEvents.filter((e) => e.type === 'card_reviewed');
  const seen = new Set<string>();
  const events = [...history.missionEvents, ...history.interventionEvents, ...history.recentEvents].filter((e) => {
    if (seen.has(e.eventId) || !isDigestEvent(e, now)) return false;
    seen.add(e.eventId);
    return true;
  });
  return {
    userId: history.userId,
    now,
    objectives: objectivesOf(history),
    responseTimes: {
      last24h: responseTimes(reviews.filter((r) => inWindow(r.occurredAt, now, DAY_MS))),
      last30d: responseTimes(reviews.filter((r) => inWindow(r.occurredAt, now, 30 * DAY_MS))),
    },
    events,
    interventionEffects: interventionEffectsOf(history),
    sessions: history.sessions,
    storedLoadSnapshots: history.storedLoadSnapshots,
    totals: history.totals,
  };
}
