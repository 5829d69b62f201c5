import type { IncomingMessage, ServerResponse } from 'node:http';
import { Registry } from 'prom-client';
import request, { type Response } from 'supertest';
import { AGGREGATE_NAMES } from '@shared/aggregates/registry';
import type { BehavioralEvent } from '@shared/contracts/behavioral-event';
import { recomputeUser } from '@shared/recompute/recompute-user';
import { insertEvents } from '@shared/store/event-store';
import type { ApiApp } from '../../services/api/src/app';
import type { ApiRequest, ApiResponse } from '../../services/api/src/http/every-request';
import { API_KEYS_ENV, bearer } from '../support/api-app';
import { parsePrometheusText, samplesOf } from '../support/prometheus-text';
import { startTestSystem, type TestSystem } from '../support/system';
import { appWith, loggerInto, mintToken, secretSigner, STUDY_APP_SECRET } from '../support/user-token-fixtures';

/**
 * The analytics reads' route table before Express answers exactly as Express's analytics
 * router does — status, body, every header that is not per response — for the requests it
 * takes, and takes only those: anything it leaves (a first sight of a key, a user token, a
 * refusal, CORS, a trailing slash, another method) reaches Express untouched.
 */
const DASHBOARD = 'https://dashboard.example.test';
const STUDENT = 'table-student';
const NOT_TAKEN = 599;

let system: TestSystem;
const logs: Record<string, unknown>[] = [];

/** The table alone: a request it does not take is answered 599, so a test knows who served. */
const tableOnly = (app: ApiApp) => (req: IncomingMessage, res: ServerResponse) => {
  if (app.parts.readRouteTable(req as ApiRequest, res as ApiResponse)) return;
  res.statusCode = NOT_TAKEN;
  res.end();
};

// Headers that differ between any two responses, whoever serves them.
const PER_RESPONSE = new Set(['date', 'connection', 'keep-alive', 'x-request-id']);
// An unknown user's empty shape is computed for each read, at its own time.
const computedNow = (res: Response) => res.headers['x-cache'] === 'compute';
const comparable = (res: Response) => ({
  status: res.status,
  headers: Object.fromEntries(
    Object.entries(res.headers as Record<string, string>).filter(([name]) => !PER_RESPONSE.has(name) && !(computedNow(res) && name === 'etag')),
  ),
  body: computedNow(res) ? res.text.replace(/"computedAt":"[^"]+"/, '"computedAt":"…"') : res.text,
});

type Send = (target: Parameters<typeof request>[0]) => request.Test;

/** The same request through Express, then through the table alone, after one that fills L1 (both then serve it from there). */
async function bothWays(app: ApiApp, send: Send): Promise<{ table: Response; express: Response }> {
  await send(app.parts.express);
  const express = await send(app.parts.express);
  const table = await send(tableOnly(app));
  return { table, express };
}

beforeAll(async () => {
  system = await startTestSystem({ env: { API_KEYS: API_KEYS_ENV, AUTH_JWT_SECRET: STUDY_APP_SECRET, CORS_ORIGINS: DASHBOARD } });
  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
  const events: BehavioralEvent[] = [
    { eventId: 'rt-1', userId: STUDENT, type: 'self_report', occurredAt: minutesAgo(30), properties: { stress: 4 } },
    { eventId: 'rt-2', userId: STUDENT, type: 'card_reviewed', occurredAt: minutesAgo(20), properties: { objectiveId: 'o1', correct: true, responseMs: 3000 } },
  ];
  await insertEvents(system.infra.db.pool, events);
  await recomputeUser({ db: system.infra.db, cache: system.writer, cachePrefix: system.config.cachePrefix }, STUDENT);
}, 60_000);
afterAll(async () => {
  await system?.stop();
});

describe('with API keys and CORS configured', () => {
  let app: ApiApp;
  beforeAll(async () => {
    app = appWith(system, { logger: loggerInto(logs, 'debug'), registry: new Registry() });
    // Express sees each key first (the authenticator then knows it), and fills L1.
    for (const name of AGGREGATE_NAMES) expect((await request(app).get(`/api/analytics/${name}?userId=${STUDENT}`).set(bearer('read'))).status).toBe(200);
    expect((await request(app).get(`/api/analytics/patterns?userId=${STUDENT}`).set(bearer('admin'))).status).toBe(200);
  });

  it.each(AGGREGATE_NAMES)('GET /api/analytics/%s: the same 200 both ways', async (name) => {
    const { table, express } = await bothWays(app, (t) => request(t).get(`/api/analytics/${name}?userId=${STUDENT}`).set(bearer('read')));
    expect(table.status).toBe(200);
    expect(table.headers['x-cache']).toBe('l1');
    expect(table.headers.vary).toBe('Origin');
    expect(comparable(table)).toEqual(comparable(express));
  });

  it.each<[string, Send]>([
    ['HEAD', (t) => request(t).head(`/api/analytics/patterns?userId=${STUDENT}`).set(bearer('read'))],
    ['the admin key', (t) => request(t).get(`/api/analytics/patterns?userId=${STUDENT}`).set(bearer('admin'))],
    ['a period', (t) => request(t).get(`/api/analytics/missions/summary?userId=${STUDENT}&period=7d`).set(bearer('read'))],
    ['an unknown user (computed, never cached)', (t) => request(t).get('/api/analytics/objectives?userId=nobody-at-all').set(bearer('read'))],
    ['a 400: no userId', (t) => request(t).get('/api/analytics/patterns').set(bearer('read'))],
    ['a 400: a bad userId', (t) => request(t).get('/api/analytics/patterns?userId=a*b').set(bearer('read'))],
    ['a 400: an unknown parameter', (t) => request(t).get(`/api/analytics/patterns?userId=${STUDENT}&extra=1`).set(bearer('read'))],
    ['a 400: userId twice', (t) => request(t).get(`/api/analytics/patterns?userId=${STUDENT}&userId=u2`).set(bearer('read'))],
    ['a 400: a bad period', (t) => request(t).get(`/api/analytics/missions/summary?userId=${STUDENT}&period=8d`).set(bearer('read'))],
    ['a 400 on HEAD', (t) => request(t).head('/api/analytics/patterns?userId=a*b').set(bearer('read'))],
  ])('%s: the same answer both ways', async (_what, send) => {
    const { table, express } = await bothWays(app, send);
    expect(table.status).not.toBe(NOT_TAKEN);
    expect(comparable(table)).toEqual(comparable(express));
  });

  it('If-None-Match with the current ETag: the same 304 both ways', async () => {
    const path = `/api/analytics/patterns?userId=${STUDENT}`;
    const { etag } = (await request(app).get(path).set(bearer('read'))).headers as Record<string, string>;
    const { table, express } = await bothWays(app, (t) => request(t).get(path).set(bearer('read')).set('If-None-Match', `"stale", ${etag}`));
    expect(table.status).toBe(304);
    expect(comparable(table)).toEqual(comparable(express));
    expect((await request(tableOnly(app)).get(path).set(bearer('read')).set('If-None-Match', '"stale"')).status).toBe(200);
  });

  it('echoes a caller X-Request-Id, and logs the read with its subject as the router does', async () => {
    logs.length = 0;
    const res = await request(tableOnly(app)).get(`/api/analytics/patterns?userId=${STUDENT}`).set(bearer('read')).set('X-Request-Id', 'dash-42');
    expect(res.headers['x-request-id']).toBe('dash-42');
    await new Promise((resolve) => setImmediate(resolve));
    const line = logs.find((l) => (l.req as { id?: string } | undefined)?.id === 'dash-42');
    expect(line).toMatchObject({ msg: 'request completed', req: { method: 'GET', url: `/api/analytics/patterns?userId=${STUDENT}` }, res: { statusCode: 200 }, subject: expect.stringMatching(/^read-key:/) });
  });

  it('observes its reads under the route label Express gives them', async () => {
    const registry = new Registry();
    const own = appWith(system, { registry });
    const path = `/api/analytics/stress-profile?userId=${STUDENT}`;
    await request(own).get(path).set(bearer('read'));
    await request(tableOnly(own)).get(path).set(bearer('read'));
    await request(tableOnly(own)).get(path).set(bearer('read'));
    const samples = samplesOf(parsePrometheusText(await registry.metrics()), 'http_request_duration_seconds', { route: '/api/analytics/stress-profile', method: 'GET', status: '200' }, 'http_request_duration_seconds_count');
    expect(samples.map((s) => s.value)).toEqual([3]);
  });

  it.each<[string, Send]>([
    ['a key seen for the first time', (t) => request(t).get(`/api/analytics/patterns?userId=${STUDENT}`).set('Authorization', `bearer ${'read-key-0123456789ab'}`)],
    ['no key', (t) => request(t).get(`/api/analytics/patterns?userId=${STUDENT}`)],
    ['an unknown key', (t) => request(t).get(`/api/analytics/patterns?userId=${STUDENT}`).set('Authorization', 'Bearer not-a-key-at-all')],
    ['the ingest key (403)', (t) => request(t).get(`/api/analytics/patterns?userId=${STUDENT}`).set(bearer('ingest'))],
    ['a CORS request', (t) => request(t).get(`/api/analytics/patterns?userId=${STUDENT}`).set(bearer('read')).set('Origin', DASHBOARD)],
    ['a trailing slash', (t) => request(t).get(`/api/analytics/patterns/?userId=${STUDENT}`).set(bearer('read'))],
    ['an unknown aggregate', (t) => request(t).get(`/api/analytics/nothing?userId=${STUDENT}`).set(bearer('read'))],
  ])('leaves %s to Express, which answers it', async (_what, send) => {
    expect((await send(tableOnly(app))).status).toBe(NOT_TAKEN);
    const [whole, express] = [await send(app), await send(app.parts.express)];
    expect(whole.status).not.toBe(NOT_TAKEN);
    expect(comparable(whole)).toEqual(comparable(express));
  });

  it('leaves POST generate to Express', async () => {
    const send: Send = (t) => request(t).post('/api/analytics/predictions/generate').set(bearer('read')).send({ userId: STUDENT });
    expect((await send(tableOnly(app))).status).toBe(NOT_TAKEN);
    expect((await send(app)).status).toBe(200);
  });

  it('leaves a user token to Express, every time', async () => {
    const token = await mintToken(secretSigner(), STUDENT);
    const send: Send = (t) => request(t).get('/api/analytics/patterns').set('Authorization', `Bearer ${token}`);
    expect((await send(app)).status).toBe(200);
    expect((await send(tableOnly(app))).status).toBe(NOT_TAKEN);
  });
});

describe('while the API is open (no API_KEYS)', () => {
  it('serves a read without a key both ways alike, and leaves one with a token to Express', async () => {
    const app = appWith(system, { config: { apiKeys: [] }, registry: new Registry() });
    const path = `/api/analytics/interventions?userId=${STUDENT}`;
    const { table, express } = await bothWays(app, (t) => request(t).get(path));
    expect(table.status).toBe(200);
    expect(comparable(table)).toEqual(comparable(express));
    expect((await request(tableOnly(app)).get(path).set('Authorization', `Bearer ${await mintToken(secretSigner(), STUDENT)}`)).status).toBe(NOT_TAKEN);
  });
});
