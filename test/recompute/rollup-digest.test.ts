import fc from 'fast-check';
import pg from 'pg';
import { computeUserAggregates } from '@shared/aggregates/compute-user-aggregates';
import { addDays, DAY_MS, utcDay } from '@shared/aggregates/math';
import { digestOfHistory, sameOrder } from '@shared/aggregates/user-digest';
import type { BehavioralEvent } from '@shared/contracts/behavioral-event';
import type { SessionCompleted } from '@shared/contracts/session-completed';
import { loadDigests } from '@shared/store/digest-loader';
import { deleteRawRowsBefore, insertEvents, insertSessions } from '@shared/store/event-store';
import { loadHistories } from '@shared/store/history-loader';
import { rebuildUserRollups } from '@shared/store/rollups';
import { mondayOnOrBefore, windowPieces } from '@shared/store/window-pieces';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { rowOracleAggregates } from '../support/row-oracle';

/**
 * The digest path — rollups recomputed by every ingest and retention, summed per window in
 * the database with the raw rows at each window's edges — against the raw rows, on random
 * histories shaped to land on every edge: each window's start (± 1 ms), the UTC midnights
 * and Mondays the rollups split on, rows stamped ahead of "now", ties in time (broken by
 * id), the 14 days around an intervention. Rows are stored out of order, in batches, some
 * twice, some deleted again by retention; then, at several instants:
 * - the loaded digest equals the digest of the raw rows (digestOfHistory), count for count;
 * - the aggregates computed from it equal today's row-based formulas (row-oracle.ts), value
 *   for value — no tolerance: sums of integers are exact, and every floating-point sum still
 *   runs over the same rows in the same order;
 * - every rollup row equals a GROUP BY over the raw rows, written here independently.
 */
let database: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new pg.Pool({ connectionString: database.url, max: 4 });
}, 30_000);

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

const MIN = 60_000;
const HOUR = 60 * MIN;
const startOfDay = (t: number) => Date.parse(`${utcDay(new Date(t))}T00:00:00.000Z`);

/** A computation instant and, beside it, the ones where its windows' edges fall on a midnight or a Monday. */
function instantsNear(base: number): number[] {
  const today = startOfDay(base);
  const monday = Date.parse(`${mondayOnOrBefore(utcDay(new Date(base)))}T00:00:00.000Z`);
  return [base, today, today - 1, today + 1, monday, monday - 1, base + 4 * MIN];
}

/** Instants on and beside every edge a computation at `now` has. */
function edgesOf(now: number): number[] {
  const pieces = windowPieces(new Date(now));
  const dayStart = (day: string) => Date.parse(`${day}T00:00:00.000Z`);
  const marks = [
    now,
    now - 90 * DAY_MS,
    now - 30 * DAY_MS,
    now - DAY_MS,
    now - 7 * DAY_MS,
    now - 14 * DAY_MS,
    pieces.days90End.getTime(),
    pieces.days30End.getTime(),
    pieces.todayStart.getTime(),
    dayStart(pieces.firstWeek90),
    dayStart(pieces.firstWeek30),
    dayStart(pieces.weeksEnd),
    dayStart(addDays(pieces.weeksEnd, -7)),
  ];
  return marks.flatMap((t) => [t - 1, t, t + 1]);
}

const BASE = Date.parse('2026-06-17T10:20:30.400Z');
const NOWS = instantsNear(BASE);
const EDGES = [...new Set(NOWS.flatMap(edgesOf))];
const OBJECTIVES = ['a', 'b', 'B'];

const instantArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...EDGES) },
  { weight: 3, arbitrary: fc.integer({ min: BASE - 120 * DAY_MS, max: BASE + 5 * MIN }) },
  { weight: 1, arbitrary: fc.integer({ min: BASE - 3 * DAY_MS, max: BASE }) },
);

type Draft = { kind: 'review' | 'intervention' | 'other'; at: number; objectiveId: string; correct: boolean | null; responseMs: number; type: BehavioralEvent['type']; id: number };

const draftArb: fc.Arbitrary<Draft> = fc.record({
  kind: fc.constantFrom('review', 'review', 'review', 'intervention', 'other'),
  at: instantArb,
  objectiveId: fc.constantFrom(...OBJECTIVES),
  correct: fc.boolean(),
  responseMs: fc.integer({ min: 0, max: 3_600_000 }),
  type: fc.constantFrom('mission_started', 'mission_completed', 'mission_abandoned', 'self_report', 'content_viewed', 'search_performed'),
  id: fc.integer({ min: 0, max: 10_000 }),
});

/** Reviews of the intervention's objective on and beside its two windows' edges. */
function aroundIntervention(t: number, seed: number): number[] {
  const offsets = [-14 * DAY_MS, -14 * DAY_MS + 1, -1, 0, 1, 14 * DAY_MS - 1, 14 * DAY_MS, -3 * DAY_MS, 2 * DAY_MS, -HOUR];
  return offsets.filter((_, i) => (seed >> i) & 1).map((offset) => t + offset);
}

function toEvents(userId: string, drafts: Draft[], run: number): BehavioralEvent[] {
  const events: BehavioralEvent[] = [];
  const eventId = (id: number | string) => `r${run}-${id}`;
  for (const d of drafts) {
    const occurredAt = new Date(d.at).toISOString();
    const id = eventId(`${userId}-${d.id}-${events.length}`);
    if (d.kind === 'review') {
      events.push({ eventId: id, userId, type: 'card_reviewed', occurredAt, properties: { objectiveId: d.objectiveId, correct: d.correct!, responseMs: d.responseMs } });
    } else if (d.kind === 'intervention') {
      events.push({ eventId: id, userId, type: 'intervention_applied', occurredAt, properties: { interventionType: 'SPACED_REPETITION_BOOST', objectiveId: d.objectiveId } });
      aroundIntervention(d.at, d.id).forEach((at, i) =>
        events.push({ eventId: `${id}-w${i}`, userId, type: 'card_reviewed', occurredAt: new Date(at).toISOString(), properties: { objectiveId: d.objectiveId, correct: (d.id >> (i + 3)) % 2 === 0, responseMs: 10 * i } }),
      );
    } else {
      const properties = ({
        mission_started: { missionId: 'm' },
        mission_completed: { missionId: 'm', successScore: (d.responseMs % 1000) / 999, durationMs: d.responseMs },
        mission_abandoned: { missionId: 'm', durationMs: d.responseMs },
        self_report: { stress: 1 + (d.id % 5) },
        content_viewed: { contentId: 'c', contentType: 'video', durationMs: d.responseMs },
        search_performed: { resultCount: 1, queryLength: 2 },
      } as Record<string, Record<string, unknown>>)[d.type]!;
      events.push({ eventId: id, userId, type: d.type, occurredAt, properties } as BehavioralEvent);
    }
  }
  return events;
}

const sessionArb = fc.record({ at: instantArb, minutes: fc.integer({ min: 1, max: 24 * 60 }), cards: fc.integer({ min: 0, max: 40 }), correct: fc.integer({ min: 0, max: 40 }) });

const json = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

/** Every rollup of `userIds`, read back, beside the same counts computed here with GROUP BY over the raw rows. */
async function rollupsAndRawCounts(userIds: string[]) {
  const q = async (sql: string) => (await pool.query(sql, [userIds])).rows;
  const counts = `count(*)::int AS reviews, count(*) FILTER (WHERE correct)::int AS correct, count(*) FILTER (WHERE NOT correct)::int AS incorrect,
    sum(response_ms)::text AS response_ms_sum, count(response_ms)::int AS response_ms_count, max(occurred_at) AS latest_at`;
  const stored = `reviews, correct, incorrect, response_ms_sum::text, response_ms_count, latest_at`;
  const reviews = `FROM behavioral_events WHERE user_id = ANY($1) AND type = 'card_reviewed'`;
  return {
    stored: {
      days: await q(`SELECT user_id, objective_id, to_char(day, 'YYYY-MM-DD') AS day, ${stored} FROM card_review_days WHERE user_id = ANY($1) ORDER BY 1, 2, 3`),
      weeks: await q(`SELECT user_id, objective_id, to_char(week, 'YYYY-MM-DD') AS week, ${stored} FROM card_review_weeks WHERE user_id = ANY($1) ORDER BY 1, 2, 3`),
      latest: await q(`SELECT user_id, objective_id, latest_at, last_ten_reviews AS n, last_ten_correct AS c FROM objective_latest_reviews WHERE user_id = ANY($1) ORDER BY 1, 2`),
      activity: await q(`SELECT user_id, to_char(day, 'YYYY-MM-DD') AS day, events, sessions FROM activity_days WHERE user_id = ANY($1) ORDER BY 1, 2`),
      effects: await q(`SELECT user_id, event_id, objective_id, applied_at, before_reviews AS br, before_incorrect AS bi, after_reviews AS ar, after_incorrect AS ai
        FROM intervention_effects WHERE user_id = ANY($1) ORDER BY 1, 2`),
    },
    raw: {
      days: await q(`SELECT user_id, objective_id, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, ${counts} ${reviews} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`),
      weeks: await q(`SELECT user_id, objective_id, to_char(date_trunc('week', occurred_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS week, ${counts} ${reviews} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`),
      latest: await q(`SELECT user_id, objective_id, max(occurred_at) AS latest_at, count(*)::int AS n, count(*) FILTER (WHERE correct)::int AS c FROM (
          SELECT *, row_number() OVER (PARTITION BY user_id, objective_id ORDER BY occurred_at DESC, event_id COLLATE "C" DESC) AS rank ${reviews}) x
        WHERE rank <= 10 GROUP BY 1, 2 ORDER BY 1, 2`),
      activity: await q(`SELECT user_id, day, sum(events)::int AS events, sum(sessions)::int AS sessions FROM (
          SELECT user_id, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, 1 AS events, 0 AS sessions FROM behavioral_events WHERE user_id = ANY($1)
          UNION ALL SELECT user_id, to_char(ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), 0, 1 FROM study_sessions WHERE user_id = ANY($1)) x GROUP BY 1, 2 ORDER BY 1, 2`),
      effects: await q(`SELECT i.user_id, i.event_id, i.objective_id, i.occurred_at AS applied_at,
          count(r.*) FILTER (WHERE r.occurred_at < i.occurred_at)::int AS br, count(r.*) FILTER (WHERE r.occurred_at < i.occurred_at AND NOT r.correct)::int AS bi,
          count(r.*) FILTER (WHERE r.occurred_at > i.occurred_at)::int AS ar, count(r.*) FILTER (WHERE r.occurred_at > i.occurred_at AND NOT r.correct)::int AS ai
        FROM behavioral_events i LEFT JOIN behavioral_events r ON r.user_id = i.user_id AND r.type = 'card_reviewed' AND r.objective_id = i.objective_id
          AND abs(extract(epoch FROM r.occurred_at - i.occurred_at)) < 14 * 86400
        WHERE i.user_id = ANY($1) AND i.type = 'intervention_applied' AND i.objective_id IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 1, 2`),
    },
  };
}

async function expectDigestsMatchRows(userIds: string[], now: Date): Promise<void> {
  const digests = await loadDigests(pool, userIds, now);
  const histories = await loadHistories(pool, userIds, now);
  for (const userId of userIds) {
    const fromRollups = digests.get(userId)!;
    const fromRows = histories.get(userId)!;
    const at = { userId, now: now.toISOString() };
    expect({ ...at, digest: sameOrder(fromRollups.digest) }).toEqual({ ...at, digest: sameOrder(digestOfHistory(fromRows.history)) });
    expect({ ...at, watermark: fromRollups.watermark, nextVisibleAt: fromRollups.nextVisibleAt }).toEqual({ ...at, watermark: fromRows.watermark, nextVisibleAt: fromRows.nextVisibleAt });
    expect({ ...at, aggregates: json(computeUserAggregates(fromRollups.digest)) }).toEqual({ ...at, aggregates: json(rowOracleAggregates(fromRows.history)) });
  }
}

it('gives, at every window edge, the digest of the raw rows and the aggregates of the row-based formulas (random histories)', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(draftArb, { minLength: 1, maxLength: 60 }),
      fc.array(draftArb, { maxLength: 30 }),
      fc.array(sessionArb, { maxLength: 8 }),
      fc.integer({ min: 1, max: 4 }),
      fc.option(fc.constantFrom(...EDGES, BASE - 100 * DAY_MS, BASE - 20 * DAY_MS), { nil: undefined }),
      fc.integer({ min: 0, max: 2 ** 30 }),
      async (draftsA, draftsB, sessionDrafts, batches, retentionCutoff, shuffleSeed) => {
        run += 1;
        const users = [`p${run}a`, `p${run}b`];
        const events = [...toEvents(users[0]!, draftsA, run), ...toEvents(users[1]!, draftsB, run)];
        const sessions: SessionCompleted[] = sessionDrafts.map((s, i) => ({
          sessionId: `r${run}-s${i}`,
          userId: users[i % 2]!,
          startedAt: new Date(s.at).toISOString(),
          endedAt: new Date(s.at + s.minutes * MIN).toISOString(),
          cardsReviewed: s.cards,
          correctCount: Math.min(s.cards, s.correct),
        }));
        // Out of order, in batches, and every fifth event delivered twice (in a later batch).
        const shuffled = [...events].sort((x, y) => ((hash(x.eventId) ^ shuffleSeed) % 997) - ((hash(y.eventId) ^ shuffleSeed) % 997));
        const redelivered = shuffled.filter((_, i) => i % 5 === 0);
        const size = Math.ceil(shuffled.length / batches);
        for (let i = 0; i < shuffled.length; i += size) await insertEvents(pool, shuffled.slice(i, i + size));
        await insertSessions(pool, sessions);
        await insertEvents(pool, redelivered);
        await insertSessions(pool, sessions.slice(0, 2));
        if (retentionCutoff !== undefined) for (const userId of users) await deleteRawRowsBefore(pool, userId, new Date(retentionCutoff));

        const rollups = await rollupsAndRawCounts(users);
        expect(rollups.stored).toEqual(rollups.raw);
        for (const now of NOWS) await expectDigestsMatchRows(users, new Date(now));
      },
    ),
    { numRuns: 30 },
  );
}, 240_000);

function hash(text: string): number {
  let h = 0;
  for (const char of text) h = (h * 31 + char.charCodeAt(0)) >>> 0;
  return h;
}

it('cuts the 14 days after a recent intervention at now: a review exactly at now counts, one stamped after it not yet', async () => {
  const userId = 'after-window-at-now';
  const now = BASE;
  const event = (eventId: string, at: number, type: 'card_reviewed' | 'intervention_applied', correct = false): BehavioralEvent =>
    type === 'card_reviewed'
      ? { eventId, userId, type, occurredAt: new Date(at).toISOString(), properties: { objectiveId: 'o', correct, responseMs: 10 } }
      : { eventId, userId, type, occurredAt: new Date(at).toISOString(), properties: { interventionType: 'PREREQUISITE_REVIEW', objectiveId: 'o' } };
  await insertEvents(pool, [
    event('i1', now - 2 * DAY_MS, 'intervention_applied'),
    ...[3, 4, 5].map((d) => event(`before-${d}`, now - d * DAY_MS, 'card_reviewed', d === 4)),
    event('after-1', now - DAY_MS, 'card_reviewed'),
    event('after-2', now - HOUR, 'card_reviewed', true),
    event('at-now', now, 'card_reviewed'),
    event('ahead', now + MIN, 'card_reviewed'),
  ]);
  for (const at of [now, now - 1, now + MIN, now + 2 * DAY_MS]) await expectDigestsMatchRows([userId], new Date(at));
  const effect = (await loadDigests(pool, [userId], new Date(now))).get(userId)!.digest.interventionEffects['i1'];
  expect(effect).toEqual({ before: { reviews: 3, incorrect: 2 }, after: { reviews: 3, incorrect: 2 } });
});

it('reads the raw rows of a user stored before the rollups existed, until the build step builds theirs', async () => {
  const userId = 'before-rollups';
  const at = (ms: number) => new Date(BASE - ms).toISOString();
  // Stored as by an earlier version (no rollups): rows and the analytics_users row, straight in SQL.
  await pool.query(
    `INSERT INTO behavioral_events (event_id, user_id, type, occurred_at, objective_id, correct, response_ms)
     SELECT 'old-' || g, $1, 'card_reviewed', $2::timestamptz - g * interval '7 hours', 'o' || (g % 3), g % 4 <> 0, 1000 + g FROM generate_series(1, 400) g`,
    [userId, new Date(BASE).toISOString()],
  );
  await pool.query(`INSERT INTO analytics_users (user_id, last_activity_at, ingest_version) VALUES ($1, $2, 1)`, [userId, at(0)]);
  // A new event arrives through today's ingest: the user is not new, so not marked ready.
  await insertEvents(pool, [{ eventId: 'new-1', userId, type: 'card_reviewed', occurredAt: at(HOUR), properties: { objectiveId: 'o1', correct: false, responseMs: 5 } }]);
  const ready = async () => (await pool.query<{ rollups_ready: boolean }>('SELECT rollups_ready FROM analytics_users WHERE user_id = $1', [userId])).rows[0]!.rollups_ready;
  expect(await ready()).toBe(false);
  await expectDigestsMatchRows([userId], new Date(BASE));

  expect(await rebuildUserRollups(pool, userId)).toBe(true);
  expect(await ready()).toBe(true);
  const rollups = await rollupsAndRawCounts([userId]);
  expect(rollups.stored.days.length).toBeGreaterThan(100);
  expect(rollups.stored).toEqual(rollups.raw);
  for (const now of NOWS) await expectDigestsMatchRows([userId], new Date(now));
  expect(await rebuildUserRollups(pool, 'nobody-knows-me')).toBe(false);
}, 60_000);
