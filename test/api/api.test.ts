import request from 'supertest';
import { Registry } from 'prom-client';
import type { ApiApp } from '../../services/api/src/app';
import { AGGREGATE_NAMES, AGGREGATES } from '@shared/aggregates/registry';
import type { BehavioralEvent } from '@shared/contracts/behavioral-event';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { recomputeUser } from '@shared/recompute/recompute-user';
import { insertEvents } from '@shared/store/event-store';
import { appFor, API_KEYS_ENV, bearer, GENERATED_REQUEST_ID } from '../support/api-app';
import { parsePrometheusText, samplesOf } from '../support/prometheus-text';
import { startTestSystem, type TestSystem } from '../support/system';

let system: TestSystem;
let app: ApiApp;
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
let serial = 0;
const selfReport = (userId: string, stress: number): BehavioralEvent => ({
  eventId: `sr-${userId}-${serial++}`,
  userId,
  type: 'self_report',
  occurredAt: minutesAgo(5),
  properties: { stress },
});
const review = (userId: string, objectiveId: string, correct: boolean): BehavioralEvent => ({
  eventId: `rv-${userId}-${serial++}`,
  userId,
  type: 'card_reviewed',
  occurredAt: minutesAgo(10 + serial),
  properties: { objectiveId, correct, responseMs: 4000 },
});

beforeAll(async () => {
  // Queue and Redis figures are read for /metrics in the background: often here, so the metrics test waits little.
  system = await startTestSystem({ env: { API_KEYS: API_KEYS_ENV, RATE_LIMIT_PER_MINUTE: '1000', METRICS_COLLECT_INTERVAL_MS: '200' } });
  app = appFor(system);
}, 60_000);
afterAll(async () => {
  await system?.stop();
});

describe('authentication and roles', () => {
  const route = '/api/analytics/patterns?userId=u1';
  it('401 without a key or with an unknown one, in the error shape', async () => {
    for (const headers of [{}, { Authorization: 'Bearer nope-nope-nope-nope' }, { Authorization: 'Basic cmVhZDpyZWFk' }]) {
      const res = await request(app).get(route).set(headers);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: { code: 'E_UNAUTHORIZED', message: expect.any(String) } });
    }
  });

  it('403 for the wrong role; admin may do everything', async () => {
    expect((await request(app).get(route).set(bearer('ingest'))).status).toBe(403);
    expect((await request(app).post('/api/events').set(bearer('read')).send({ events: [] })).status).toBe(403);
    expect((await request(app).get('/api/admin/cache/stats').set(bearer('read'))).status).toBe(403);
    expect((await request(app).get(route).set(bearer('read'))).status).toBe(200);
    expect((await request(app).get(route).set(bearer('admin'))).status).toBe(200);
  });
});

describe('auth per role on every route', () => {
  type Role = 'ingest' | 'read' | 'admin';
  // Bodies that are invalid where the role is accepted, so the table enqueues nothing.
  const routes: { method: 'get' | 'post' | 'put'; path: string; role: Role; body?: object }[] = [
    ...AGGREGATE_NAMES.map((name) => ({ method: 'get' as const, path: `/api/analytics/${name}?userId=roles`, role: 'read' as const })),
    { method: 'post', path: '/api/analytics/predictions/generate', role: 'read', body: { userId: 'bad*id' } },
    { method: 'post', path: '/api/events', role: 'ingest', body: { events: 'none' } },
    { method: 'post', path: '/api/sessions', role: 'ingest', body: { sessions: 'none' } },
    { method: 'get', path: '/api/admin/cache/stats', role: 'admin' },
    { method: 'get', path: '/admin/queues', role: 'admin' },
    { method: 'get', path: '/admin/queues/api/queues', role: 'admin' },
    { method: 'put', path: '/admin/queues/api/queues/no-such-queue/pause', role: 'admin' },
  ];
  const send = (route: (typeof routes)[number], headers: Record<string, string>) => {
    const req = request(app)[route.method](route.path).set(headers);
    return route.body ? req.send(route.body) : req;
  };

  it.each(routes.map((r) => [`${r.method.toUpperCase()} ${r.path}`, r] as const))('%s: 401 without a key, 403 for another role, served for its role and admin', async (_name, route) => {
    const denied = await send(route, {});
    expect({ status: denied.status, body: denied.body }).toEqual({ status: 401, body: { error: { code: 'E_UNAUTHORIZED', message: expect.any(String) } } });
    for (const role of ['ingest', 'read', 'admin'] as const) {
      const res = await send(route, bearer(role));
      if (role === route.role || role === 'admin') expect({ role, status: res.status, refused: [401, 403].includes(res.status) }).toEqual({ role, status: res.status, refused: false });
      else expect({ role, status: res.status, body: res.body }).toEqual({ role, status: 403, body: { error: { code: 'E_FORBIDDEN', message: `this route needs the ${route.role} role` } } });
    }
  });

  it.each(['/health/live', '/health/ready', '/metrics', '/api/openapi.json'])('%s needs no key (probes and scrapers)', async (path) => {
    expect((await request(app).get(path)).status).toBe(200);
  });
});

describe('analytics routes', () => {
  it.each(AGGREGATE_NAMES)('GET /api/analytics/%s answers 200 with data of its schema', async (name) => {
    await insertEvents(system.infra.db.pool, [review('rich', 'o1', true), review('rich', 'o1', false), review('rich', 'o1', false), selfReport('rich', 3)]);
    const res = await request(app).get(`/api/analytics/${name}?userId=rich`).set(bearer('read'));
    expect(res.status).toBe(200);
    expect(() => AGGREGATES[name].schema.parse(res.body.data)).not.toThrow();
    expect(res.body.meta).toEqual({ userId: 'rich', computedAt: expect.any(String), cache: expect.stringMatching(/^(l1|l2|db|compute)$/) });
    expect(res.headers['x-cache']).toBe(res.body.meta.cache);
  });

  it('tells the tier honestly: db then l1 for a stored aggregate, compute then l1 for a new one', async () => {
    await insertEvents(system.infra.db.pool, [selfReport('stored', 4)]);
    await recomputeUser({ db: system.infra.db, cache: null, cachePrefix: system.config.cachePrefix }, 'stored');
    const first = await request(app).get('/api/analytics/stress-profile?userId=stored').set(bearer('read'));
    const second = await request(app).get('/api/analytics/stress-profile?userId=stored').set(bearer('read'));
    expect([first.headers['x-cache'], second.headers['x-cache']]).toEqual(['db', 'l1']);
    expect(second.body.data).toEqual(first.body.data);

    await insertEvents(system.infra.db.pool, [selfReport('fresh', 2)]);
    const computed = await request(app).get('/api/analytics/stress-profile?userId=fresh').set(bearer('read'));
    expect(computed.headers['x-cache']).toBe('compute');
    expect(computed.body.data.reports).toBe(1);
    expect((await request(app).get('/api/analytics/stress-profile?userId=fresh').set(bearer('read'))).headers['x-cache']).toBe('l1');
  });

  it('never serves the old value after an event for that user has been processed', async () => {
    const before = await request(app).get('/api/analytics/stress-profile?userId=live').set(bearer('read'));
    expect(before.body.data.reports).toBe(0);
    // An unknown user's empty shape is computed on each read and cached nowhere.
    expect((await request(app).get('/api/analytics/stress-profile?userId=live').set(bearer('read'))).headers['x-cache']).toBe('compute');
    const posted = await request(app).post('/api/events').set(bearer('ingest')).send({ events: [selfReport('live', 5)] });
    expect(posted.status).toBe(202);
    expect(posted.body).toEqual({ accepted: 1 });
    await system.drained();
    const after = await request(app).get('/api/analytics/stress-profile?userId=live').set(bearer('read'));
    expect(after.body.data).toMatchObject({ reports: 1, avgStress: 5 });
    expect(['l1', 'l2']).toContain(after.headers['x-cache']);
  });

  it('answers 200 with zeros and nulls for an unknown user', async () => {
    const res = await request(app).get('/api/analytics/missions/summary?userId=ghost&period=all').set(bearer('read'));
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ period: 'all', started: 0, completed: 0, abandoned: 0, completionRate: null, avgSuccessScore: null, avgDurationMinutes: null, currentStreakDays: 0 });
  });

  it.each([
    ['/api/analytics/patterns', /userId/],
    ['/api/analytics/patterns?userId=a*b', /userId/],
    ['/api/analytics/missions/summary?userId=u1&period=8d', /period/],
    ['/api/analytics/patterns?userId=u1&extra=1', /extra/],
    ['/api/analytics/patterns?userId=u1&userId=u2', /userId/],
  ])('400 for %s', async (url, message) => {
    const res = await request(app).get(url).set(bearer('read'));
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ code: 'E_VALIDATION', message: expect.stringMatching(message), details: expect.any(Array) });
  });

  it('POST /api/analytics/predictions/generate recomputes now and returns fresh predictions', async () => {
    // Rows stored without any recompute: only the priority recompute can make them visible.
    await insertEvents(system.infra.db.pool, [review('gen', 'o9', false), review('gen', 'o9', false), review('gen', 'o9', false)]);
    const res = await request(app).post('/api/analytics/predictions/generate').set(bearer('read')).send({ userId: 'gen' });
    expect(res.status).toBe(200);
    expect(res.headers['x-cache']).toBe('compute');
    expect(res.body.data.predictions.map((p: { objectiveId: string }) => p.objectiveId)).toEqual(['o9']);
    expect((await request(app).post('/api/analytics/predictions/generate').set(bearer('read')).send({ userId: 'g*' })).status).toBe(400);
  });
});

describe('ingest routes', () => {
  it('rejects a batch with one bad event entirely, naming each bad index', async () => {
    const events = system.queue(QUEUE_NAMES.behavioralEvent);
    const before = await events.count();
    const res = await request(app)
      .post('/api/events')
      .set(bearer('ingest'))
      .send({ events: [selfReport('batch', 3), { ...selfReport('batch', 3), userId: 'x*' }, selfReport('batch', 3), { nope: true }] });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('E_VALIDATION');
    expect(res.body.error.details.map((d: { index: number }) => d.index)).toEqual([1, 3]);
    expect(await events.count()).toBe(before);
  });

  it('accepts sessions with 202', async () => {
    const session = { sessionId: 'sess-1', userId: 'batch', startedAt: minutesAgo(60), endedAt: minutesAgo(30), cardsReviewed: 10, correctCount: 8 };
    const res = await request(app).post('/api/sessions').set(bearer('ingest')).send({ sessions: [session] });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ accepted: 1 });
  });

  it('413 for a body over 1 MiB, 400 for invalid JSON and for more than 1,000 events', async () => {
    const big = await request(app).post('/api/events').set(bearer('ingest')).set('Content-Type', 'application/json').send(`{"events":[${'"x",'.repeat(300_000)}"x"]}`);
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('E_PAYLOAD_TOO_LARGE');
    const invalid = await request(app).post('/api/events').set(bearer('ingest')).set('Content-Type', 'application/json').send('{"events": [');
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('E_INVALID_JSON');
    const many = Array.from({ length: 1001 }, () => selfReport('many', 2));
    const tooMany = await request(app).post('/api/events').set(bearer('ingest')).send({ events: many });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).toMatch(/at most 1000/);
  });
});

describe('ingest rate limit', () => {
  it('429 in the error shape once a key has used its budget, counted across instances through Redis', async () => {
    // Two app instances with a budget of 2 per minute, sharing Redis (their own key prefix, so other tests do not count).
    const limited = { ...system.config, rateLimitPerMinute: 2, cachePrefix: `${system.config.cachePrefix}:rl` };
    const [a, b] = [0, 1].map(() => appFor({ ...system, config: limited, infra: { ...system.infra, registry: new Registry() } }));
    {
      const post = (instance: ApiApp, key: 'ingest' | 'admin') => request(instance).post('/api/events').set(bearer(key)).send({ events: [selfReport('limited', 2)] });
      expect((await post(a!, 'ingest')).status).toBe(202);
      expect((await post(b!, 'ingest')).status).toBe(202);
      const refused = await post(a!, 'ingest');
      expect(refused.status).toBe(429);
      expect(refused.body).toEqual({ error: { code: 'E_RATE_LIMITED', message: 'at most 2 ingest requests per minute per key' } });
      expect(refused.headers.ratelimit).toMatch(/r=0/);
      // Per key: another key still has its budget.
      expect((await post(b!, 'admin')).status).toBe(202);
    }
  });
});

/** GET /metrics, again until `ready` holds for what it shows (or 5 s have passed: then the last one). */
async function scrapeUntil(ready: (families: ReturnType<typeof parsePrometheusText>) => boolean): Promise<request.Response> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const res = await request(app).get('/metrics');
    if (ready(parsePrometheusText(res.text)) || Date.now() > deadline) return res;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('operations', () => {
  it('404s unknown routes in the error shape, with security headers and no x-powered-by', async () => {
    const res = await request(app).get('/api/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'E_NOT_FOUND', message: 'no route /api/nothing-here' } });
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-request-id']).toMatch(GENERATED_REQUEST_ID);
  });

  it('reports readiness of Redis, PostgreSQL and the queues', async () => {
    const res = await request(app).get('/health/ready');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', checks: { redis: expect.objectContaining({ ok: true }), postgres: expect.objectContaining({ ok: true }), queues: expect.objectContaining({ ok: true }) } });
    expect((await request(app).get('/health/live')).body).toEqual({ status: 'ok' });
  });

  it('serves cache statistics in the origin report shape', async () => {
    const res = await request(app).get('/api/admin/cache/stats').set(bearer('admin'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      type: 'HYBRID_CACHE',
      l1MemorySize: expect.any(Number),
      l1Bytes: expect.any(Number),
      stats: expect.objectContaining({ totalHits: expect.any(Number), totalMisses: expect.any(Number), hitRate: expect.stringMatching(/^\d+\.\d\d%$/), redisHits: expect.any(Number), redisMisses: expect.any(Number), fallbackCount: expect.any(Number) }),
      redisHealthy: true,
    });
  });

  it('exposes Prometheus metrics that parse, with every metric the operators need', async () => {
    const patternsCount = (text: string) =>
      samplesOf(parsePrometheusText(text), 'http_request_duration_seconds', { method: 'GET', route: '/api/analytics/patterns', status: '200' }, 'http_request_duration_seconds_count')[0]?.value ?? 0;
    const patternsBefore = patternsCount((await request(app).get('/metrics')).text);
    expect((await request(app).post('/api/events').set(bearer('ingest')).send({ events: [selfReport('m1', 2)] })).status).toBe(202);
    await system.drained();
    // A known user's aggregate, read twice: at least the second read is an L1 hit.
    await request(app).get('/api/analytics/patterns?userId=m1').set(bearer('read'));
    await request(app).get('/api/analytics/patterns?userId=m1').set(bearer('read'));
    // Queue figures come from the last background collection: scrape once one has seen the drained queues.
    const res = await scrapeUntil((families) =>
      ['behavioral-event', 'recompute'].every((queue) => (samplesOf(families, 'queue_processed_jobs_total', { queue, result: 'completed' })[0]?.value ?? 0) >= 1),
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parsePrometheusText(res.text);
    const typeOf = (name: string) => families.get(name)?.type;
    const value = (name: string, labels: Record<string, string> = {}, sample = name) => samplesOf(families, name, labels, sample).map((s) => s.value);

    // HTTP latency histograms per route
    expect(typeOf('http_request_duration_seconds')).toBe('histogram');
    expect(patternsCount(res.text) - patternsBefore).toBe(2);
    expect(value('http_request_duration_seconds', { method: 'POST', route: '/api/events', status: '202' }, 'http_request_duration_seconds_count')[0]).toBeGreaterThanOrEqual(1);
    // cache hits per tier and misses (a miss is a read that no tier answered)
    expect([typeOf('cache_hits_total'), typeOf('cache_misses_total')]).toEqual(['counter', 'counter']);
    expect(value('cache_hits_total', { tier: 'l1', query_type: 'behavioralPatterns' })[0]).toBeGreaterThanOrEqual(1);
    expect(value('cache_misses_total', { query_type: 'behavioralPatterns' })[0]).toBeGreaterThanOrEqual(1);
    // queue depth per queue and state
    expect(typeOf('queue_jobs')).toBe('gauge');
    for (const queue of Object.values(QUEUE_NAMES))
      for (const state of ['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized']) expect({ queue, state, n: value('queue_jobs', { queue, state }).length }).toEqual({ queue, state, n: 1 });
    expect(value('queue_jobs', { queue: 'behavioral-event', state: 'completed' })[0]).toBeGreaterThanOrEqual(1);
    // worker throughput: this process's workers, and every worker's through BullMQ's metrics in Redis
    expect(value('pipeline_jobs_total', { queue: 'behavioral-event', result: 'completed' })[0]).toBeGreaterThanOrEqual(1);
    expect(typeOf('queue_processed_jobs_total')).toBe('counter');
    expect(value('queue_processed_jobs_total', { queue: 'behavioral-event', result: 'completed' })[0]).toBeGreaterThanOrEqual(1);
    expect(value('queue_processed_jobs_total', { queue: 'recompute', result: 'completed' })[0]).toBeGreaterThanOrEqual(1);
    // the ingest path's steps, each timed
    for (const step of ['validate', 'insert', 'mark_dirty'])
      expect({ step, n: value('ingest_step_duration_seconds', { queue: 'behavioral-event', step }, 'ingest_step_duration_seconds_count')[0] }).toEqual({ step, n: expect.any(Number) });
    expect(value('ingest_step_duration_seconds', { queue: 'behavioral-event', step: 'insert' }, 'ingest_step_duration_seconds_count')[0]).toBeGreaterThanOrEqual(1);
    // jobs deferred by a PostgreSQL outage: a series at 0 before the first one
    expect(value('pipeline_jobs_deferred_total', { queue: 'recompute' })).toEqual([0]);
    // the recompute's steps, each timed
    for (const step of ['load', 'compute', 'save', 'write_through'])
      expect({ step, n: value('recompute_step_duration_seconds', { step }, 'recompute_step_duration_seconds_count')[0] }).toEqual({ step, n: expect.any(Number) });
    // event-to-visible freshness histogram
    expect(typeOf('event_to_visible_seconds')).toBe('histogram');
    expect(value('event_to_visible_seconds', {}, 'event_to_visible_seconds_count')[0]).toBeGreaterThanOrEqual(1);
    // database pool and its utilization against the thresholds (levels checked in api-metrics.test.ts)
    for (const state of ['in_use', 'idle', 'waiting']) expect(value('db_pool_connections', { state })[0]).toBeGreaterThanOrEqual(0);
    expect(value('db_pool_utilization_ratio')[0]).toBeLessThanOrEqual(1);
    expect([0, 1, 2]).toContain(value('db_pool_utilization_level')[0]);
    // slow-query counts, present before the first slow query
    expect(typeOf('db_slow_queries_total')).toBe('counter');
    expect(value('db_slow_queries_total', { level: 'warn' })).toHaveLength(1);
    expect(value('db_slow_queries_total', { level: 'error' })).toHaveLength(1);
    // Redis ping latency and memory
    expect(value('redis_ping_latency_seconds')[0]).toBeGreaterThanOrEqual(0);
    expect(value('redis_used_memory_bytes')[0]).toBeGreaterThan(0);
  });

  it('publishes an OpenAPI 3.1 document that covers every route', async () => {
    const res = await request(app).get('/api/openapi.json');
    expect(res.body.openapi).toBe('3.1.0');
    const paths = Object.keys(res.body.paths);
    for (const name of AGGREGATE_NAMES) expect(paths).toContain(`/api/analytics/${name}`);
    for (const path of ['/api/analytics/predictions/generate', '/api/events', '/api/sessions', '/api/admin/cache/stats', '/health/live', '/health/ready', '/metrics', '/admin/queues'])
      expect(paths).toContain(path);
    // and every documented GET path answers something other than 404
    for (const path of paths.filter((p) => res.body.paths[p].get)) {
      const probe = await request(app).get(path.startsWith('/api/analytics/') ? `${path}?userId=doc` : path).set(bearer('admin'));
      expect({ path, status: probe.status }).toEqual({ path, status: probe.status === 404 ? -1 : probe.status });
    }
  });

  it('opens Bull Board with the admin key, as Bearer or as a basic-auth password', async () => {
    expect((await request(app).get('/admin/queues')).headers['www-authenticate']).toBe('Basic realm="bull-board"');
    expect((await request(app).get('/admin/queues').set(bearer('admin'))).status).toBe(200);
    const basic = await request(app).get('/admin/queues/api/queues').auth('admin', 'admin-key-0123456789a');
    expect(basic.status).toBe(200);
    expect(basic.body.queues.map((q: { name: string }) => q.name).sort()).toEqual(['behavioral-event', 'maintenance', 'recompute', 'session-completed']);
  });
});
