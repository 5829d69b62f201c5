import request from 'supertest';
import type { ApiApp } from '../../services/api/src/app';
import { Registry } from 'prom-client';
import { ReadCache } from '@shared/cache/read-cache';
import { createApp } from '../../services/api/src/app';
import { cacheKey, userKeySpace } from '@shared/contracts/cache-keys';
import { AGGREGATE_NAMES, periodKeyFor, type AggregateName } from '@shared/aggregates/registry';
import type { BehavioralEvent } from '@shared/contracts/behavioral-event';
import { recomputeUser } from '@shared/recompute/recompute-user';
import { insertEvents } from '@shared/store/event-store';
import { appDepsFor, appFor, API_KEYS_ENV, bearer } from '../support/api-app';
import { eventually } from '../support/cache-helpers';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * Conditional GETs and the bytes of a cached answer: every analytics route answers a
 * matching If-None-Match with 304, a recompute changes the ETag, and the body of an L1 hit
 * is exactly the SPEC 4 envelope serialized afresh from the stored aggregate.
 */
let system: TestSystem;
let app: ApiApp;
let serial = 0;
const review = (userId: string, correct: boolean): BehavioralEvent => ({
  eventId: `et-${userId}-${serial++}`,
  userId,
  type: 'card_reviewed',
  occurredAt: new Date(Date.now() - (10 + serial) * 60_000).toISOString(),
  properties: { objectiveId: 'o1', correct, responseMs: 4000 },
});
const selfReport = (userId: string, stress: number): BehavioralEvent => ({
  eventId: `et-${userId}-${serial++}`,
  userId,
  type: 'self_report',
  occurredAt: new Date(Date.now() - 5 * 60_000).toISOString(),
  properties: { stress },
});

const get = (path: string, headers: Record<string, string> = {}) => request(app).get(path).set(bearer('read')).set(headers);
/** The stored aggregate as the write-through put it in Redis: `{"e":…,"s":…,"v":{"data":…,"computedAt":…}}`. */
async function storedInRedis(userId: string, name: AggregateName): Promise<{ data: unknown; computedAt: string }> {
  const payload = await system.infra.redis.get(cacheKey(system.config.cachePrefix, { userId, aggregate: name, period: periodKeyFor(name) }));
  if (!payload) throw new Error(`no L2 entry for ${userId} ${name}`);
  return (JSON.parse(payload) as { v: { data: unknown; computedAt: string } }).v;
}


beforeAll(async () => {
  system = await startTestSystem({ env: { API_KEYS: API_KEYS_ENV } });
  app = appFor(system);
  await insertEvents(system.infra.db.pool, [review('tagged', true), review('tagged', false), selfReport('tagged', 3)]);
  await recomputeUser({ db: system.infra.db, cache: system.writer, cachePrefix: system.config.cachePrefix }, 'tagged');
  // The workers write L2; this API's L1 fills on its first read of each route.
  for (const name of AGGREGATE_NAMES) expect((await get(`/api/analytics/${name}?userId=tagged`)).headers['x-cache']).toBe('l2');
}, 60_000);
afterAll(async () => {
  await system?.stop();
});

describe.each(AGGREGATE_NAMES)('GET /api/analytics/%s', (name) => {
  const path = `/api/analytics/${name}?userId=tagged`;

  it('304 without a body for a matching If-None-Match; 200 and the body for another tag', async () => {
    const hit = await get(path);
    expect([hit.status, hit.headers['x-cache']]).toEqual([200, 'l1']);
    const etag = hit.headers.etag as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}-l1"$/); // strong: no W/
    const again = await get(path);
    expect(again.headers.etag).toBe(etag);

    const conditional = await get(path, { 'If-None-Match': etag });
    expect({ status: conditional.status, text: conditional.text, etag: conditional.headers.etag, cache: conditional.headers['x-cache'] }).toEqual({ status: 304, text: '', etag, cache: 'l1' });
    expect(conditional.headers['content-type']).toBeUndefined();
    expect(conditional.headers['x-request-id']).toEqual(expect.any(String));
    expect((await get(path, { 'If-None-Match': `"other", ${etag}` })).status).toBe(304);
    expect((await get(path, { 'If-None-Match': `W/${etag}` })).status).toBe(304); // If-None-Match compares weakly
    const other = await get(path, { 'If-None-Match': '"something-else"' });
    expect([other.status, other.text]).toEqual([200, hit.text]);
  });

  it('is per user and revalidated: Cache-Control private, no-cache on the 200 and on the 304', async () => {
    const hit = await get(path);
    expect(hit.headers['cache-control']).toBe('private, no-cache');
    const conditional = await get(path, { 'If-None-Match': hit.headers.etag as string });
    expect([conditional.status, conditional.headers['cache-control']]).toEqual([304, 'private, no-cache']);
  });

  it('the body of an L1 hit is the envelope serialized afresh from the stored aggregate, byte for byte', async () => {
    const hit = await get(path).buffer(true);
    expect(hit.headers['x-cache']).toBe('l1');
    const { data, computedAt } = await storedInRedis('tagged', name);
    const expected = JSON.stringify({ data, meta: { userId: 'tagged', computedAt, cache: 'l1' } });
    expect(hit.text).toBe(expected);
    expect(hit.headers['content-length']).toBe(String(Buffer.byteLength(expected)));
    expect(hit.headers['content-type']).toBe('application/json; charset=utf-8');
  });
});

describe('ETags across tiers, recomputes and other requests', () => {
  it('a recompute changes the ETag; the old tag then gets the new body', async () => {
    const path = '/api/analytics/stress-profile?userId=changing';
    await insertEvents(system.infra.db.pool, [selfReport('changing', 2)]);
    await get(path);
    const before = await get(path);
    expect(before.headers['x-cache']).toBe('l1');
    expect((await get(path, { 'If-None-Match': before.headers.etag as string })).status).toBe(304);

    await insertEvents(system.infra.db.pool, [selfReport('changing', 5)]);
    await recomputeUser({ db: system.infra.db, cache: system.writer, cachePrefix: system.config.cachePrefix }, 'changing');
    // Once the writer's invalidation has reached this API's L1 (pub/sub), the old tag no longer matches.
    let after!: Awaited<ReturnType<typeof get>>;
    await eventually(async () => (after = await get(path, { 'If-None-Match': before.headers.etag as string })).status === 200, 2_000);
    expect(after.status).toBe(200);
    expect(after.headers.etag).not.toBe(before.headers.etag);
    expect(after.body.data.reports).toBe(2);
    // That first answer came from L2 (the worker wrote it there) and filled L1, whose answers
    // carry their own tag: the tag of the answer now served is honoured.
    expect(after.headers['x-cache']).toBe('l2');
    const hit = await get(path);
    expect([hit.headers['x-cache'], hit.body.data.reports]).toEqual(['l1', 2]);
    expect((await get(path, { 'If-None-Match': hit.headers.etag as string })).status).toBe(304);
    expect((await get(path, { 'If-None-Match': after.headers.etag as string })).status).toBe(200);
  });

  it('each tier answers with its own tag (the bodies differ in meta.cache), and each is honoured', async () => {
    await insertEvents(system.infra.db.pool, [selfReport('tiers', 4)]);
    const path = '/api/analytics/stress-profile?userId=tiers';
    const computed = await get(path);
    const hit = await get(path);
    expect([computed.headers['x-cache'], hit.headers['x-cache']]).toEqual(['compute', 'l1']);
    expect(computed.headers.etag).toMatch(/-compute"$/);
    expect(computed.headers.etag).not.toBe(hit.headers.etag);
    expect(computed.body).toEqual({ ...hit.body, meta: { ...hit.body.meta, cache: 'compute' } });
    // Whichever tier answers, the answer is one user's: never kept by a shared cache, always revalidated.
    expect([computed.headers['cache-control'], hit.headers['cache-control']]).toEqual(['private, no-cache', 'private, no-cache']);
    expect((await get(path, { 'If-None-Match': hit.headers.etag as string })).status).toBe(304);
  });

  it('an L2 hit (another API process, its own L1) and a summary-table read answer the same envelope, built from the stored text', async () => {
    const otherApi = (cachePrefix: string) => {
      const cache = new ReadCache({ keys: userKeySpace(cachePrefix), redis: system.infra.redis, invalidations: null, l1MaxEntries: 100, l1MaxBytes: 1e7 });
      const other = createApp({ ...appDepsFor(system), config: { ...system.config, cachePrefix }, cache, registry: new Registry() });
      return { other, cache };
    };
    const l2 = otherApi(system.config.cachePrefix);
    const db = otherApi(`${system.config.cachePrefix}:cold`);
    try {
      for (const name of AGGREGATE_NAMES) {
        const path = `/api/analytics/${name}?userId=tagged`;
        const fromL2 = await request(l2.other).get(path).set(bearer('read'));
        const { data, computedAt } = await storedInRedis('tagged', name);
        expect([fromL2.headers['x-cache'], fromL2.text]).toEqual(['l2', JSON.stringify({ data, meta: { userId: 'tagged', computedAt, cache: 'l2' } })]);
        expect((await request(l2.other).get(path).set(bearer('read')).set('If-None-Match', fromL2.headers.etag as string)).status).toBe(200); // now an L1 hit: another body, another tag

        const fromDb = await request(db.other).get(path).set(bearer('read'));
        const row = await system.infra.db.pool.query<{ data: unknown }>('SELECT data FROM aggregate_snapshots WHERE user_id = $1 AND aggregate = $2 AND period = $3', ['tagged', name, periodKeyFor(name)]);
        expect([fromDb.headers['x-cache'], fromDb.text]).toEqual(['db', JSON.stringify({ data: row.rows[0]!.data, meta: { userId: 'tagged', computedAt, cache: 'db' } })]);
      }
    } finally {
      await Promise.all([l2.other.close(), db.other.close(), l2.cache.close(), db.cache.close()]);
    }
  });

  it('an unknown user (never cached) gets an ETag and 304 too', async () => {
    const path = '/api/analytics/missions/summary?userId=nobody-here&period=all';
    const first = await get(path);
    expect([first.status, first.headers['x-cache']]).toEqual([200, 'compute']);
    const conditional = await get(path, { 'If-None-Match': first.headers.etag as string });
    // Its computedAt is the moment of the read, so the tag of a later read may differ: 304 only when it does not.
    expect([200, 304]).toContain(conditional.status);
    if (conditional.status === 200) expect(conditional.headers.etag).not.toBe(first.headers.etag);
  });

  it('HEAD answers the headers of a GET without a body', async () => {
    const path = '/api/analytics/patterns?userId=tagged';
    const hit = await get(path);
    const head = await request(app).head(path).set(bearer('read'));
    expect([head.status, head.text, head.headers.etag, head.headers['content-length'], head.headers['x-cache']]).toEqual([200, undefined, hit.headers.etag, hit.headers['content-length'], 'l1']);
  });

  it('an L1 hit serializes nothing: no JSON.stringify while 20 of them are answered, the same bytes and tag each time', async () => {
    const path = '/api/analytics/behavioral-insights/dashboard?userId=tagged';
    const first = await get(path);
    expect(first.headers['x-cache']).toBe('l1');
    const stringify = jest.spyOn(JSON, 'stringify');
    try {
      for (let i = 0; i < 20; i += 1) {
        const res = await get(path).buffer(true).parse((response, done) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => done(null, Buffer.concat(chunks)));
        });
        expect(res.headers.etag).toBe(first.headers.etag);
        expect((res.body as Buffer).toString('utf8')).toBe(first.text);
      }
      expect(stringify).not.toHaveBeenCalled();
      // The spy does see the serialization of an answer that is not an L1 hit.
      await get('/api/analytics/missions/summary?userId=spy-control');
      expect(stringify).toHaveBeenCalled();
    } finally {
      stringify.mockRestore();
    }
  });

  it('POST predictions/generate carries an ETag; If-None-Match does not apply to it', async () => {
    const res = await request(app).post('/api/analytics/predictions/generate').set(bearer('read')).send({ userId: 'tagged' });
    expect([res.status, res.headers['x-cache']]).toEqual([200, 'compute']);
    expect(res.headers.etag).toMatch(/-compute"$/);
    expect(res.headers['cache-control']).toBe('private, no-cache');
    const again = await request(app).post('/api/analytics/predictions/generate').set(bearer('read')).set('If-None-Match', res.headers.etag as string).send({ userId: 'tagged' });
    expect(again.status).toBe(200);
  });
});
