import pg from 'pg';
import { recomputeUser } from '@shared/recompute/recompute-user';
import { readAggregate } from '@shared/store/aggregate-store';
import { insertEvents } from '@shared/store/event-store';
import { createTestDatabase, type TestDatabase } from '../support/database';

/**
 * SPEC 5: ties are broken by id in code-point order, whatever the database's collation. On
 * a database that sorts text the ICU en-US way (letters before case: `a` < `B`), the
 * loader's LIMIT on an objective's older reviews must still keep the ones code points keep.
 */
const DAY = 86_400_000;
let database: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase({ icuLocale: 'en-US' });
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
}, 60_000);

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

it('is a database whose collation orders ids differently from code points', async () => {
  const { rows } = await pool.query<{ id: string }>("SELECT id FROM (VALUES ('a'), ('B')) AS t(id) ORDER BY id");
  expect(rows.map((r) => r.id)).toEqual(['a', 'B']);
});

it('keeps the code-point latest of tied reviews for recentAccuracy (5.3)', async () => {
  const now = Date.now();
  const review = (eventId: string, at: number, correct: boolean) => ({
    eventId,
    userId: 'collate-ana',
    type: 'card_reviewed' as const,
    occurredAt: new Date(at).toISOString(),
    properties: { objectiveId: 'cardio', correct, responseMs: 800 },
  });
  // 9 correct reviews in the last 90 days, each at its own instant.
  const recent = Array.from({ length: 9 }, (_, i) => review(`r${i}`, now - (i + 1) * 3_600_000, true));
  // 11 older ones at one instant, 100 days ago: `a` (incorrect) and `B`…`K` (correct).
  // In code points `a` (97) sorts after every capital, so it is the latest of the tie and,
  // with the 9 recent ones, completes the 10 most recent reviews: 9 correct of 10.
  const tiedAt = now - 100 * DAY;
  const older = [review('a', tiedAt, false), ...'BCDEFGHIJK'.split('').map((id) => review(id, tiedAt, true))];
  await insertEvents(pool, [...recent, ...older]);

  await recomputeUser({ db: { pool }, cache: null, cachePrefix: 'collation' }, 'collate-ana');
  const objectives = (await readAggregate(pool, 'collate-ana', 'objectives', '-'))?.data as { objectives: { objectiveId: string; recentAccuracy: number }[] };
  expect(objectives.objectives.map((o) => [o.objectiveId, o.recentAccuracy])).toEqual([['cardio', 0.9]]);
});
