import request from 'supertest';
import type { ApiApp } from '../../services/api/src/app';
import { Registry } from 'prom-client';
import { AGGREGATE_NAMES } from '@shared/aggregates/registry';
import type { BehavioralEvent } from '@shared/contracts/behavioral-event';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { insertEvents } from '@shared/store/event-store';
import { CLOCK_LEEWAY_SECONDS } from '../../services/api/src/http/user-token-verifier';
import { API_KEYS_ENV, bearer } from '../support/api-app';
import { startTestSystem, type TestSystem } from '../support/system';
import { appWith, keyPair, loggerInto, mintToken, nowSeconds, secretSigner, STUDY_APP_SECRET, unsignedToken, withClaims } from '../support/user-token-fixtures';

/**
 * The dashboard's user tokens with a shared HS256 secret (SPEC 4.1), over real HTTP: a token
 * reads its own user's analytics and nothing else, a bad token is a 401, and API keys work
 * as before. CORS for the analytics routes is checked here at the header level; the browser
 * test (test/browser/dashboard-cors.test.ts) checks what a real browser makes of it.
 */
const ISSUER = 'https://study-app.example.test';
const AUDIENCE = 'study-analytics';
const DASHBOARD = 'https://dashboard.example.test';
const STUDENT = 'student-1';

let system: TestSystem;
let app: ApiApp;
const logs: Record<string, unknown>[] = [];
const studentToken = (claims: Parameters<typeof mintToken>[2] = {}) => mintToken(secretSigner(), STUDENT, { iss: ISSUER, aud: AUDIENCE, ...claims });
const withToken = (token: string) => ({ Authorization: `Bearer ${token}` });

beforeAll(async () => {
  system = await startTestSystem({
    env: { API_KEYS: API_KEYS_ENV, AUTH_JWT_SECRET: STUDY_APP_SECRET, AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE, CORS_ORIGINS: DASHBOARD, RATE_LIMIT_PER_MINUTE: '1000' },
  });
  app = appWith(system, { logger: loggerInto(logs) });
  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
  const events: BehavioralEvent[] = [
    { eventId: 'ut-1', userId: STUDENT, type: 'self_report', occurredAt: minutesAgo(30), properties: { stress: 4 } },
    { eventId: 'ut-2', userId: STUDENT, type: 'card_reviewed', occurredAt: minutesAgo(20), properties: { objectiveId: 'o1', correct: true, responseMs: 3000 } },
    { eventId: 'ut-3', userId: 'student-2', type: 'self_report', occurredAt: minutesAgo(10), properties: { stress: 1 } },
  ];
  await insertEvents(system.infra.db.pool, events);
}, 60_000);
afterAll(async () => {
  await system?.stop();
});

describe('a user token reads its own user', () => {
  it.each(AGGREGATE_NAMES)('GET /api/analytics/%s: 200 for userId = sub and with userId left out, the same data a read key gets', async (name) => {
    const token = await studentToken();
    const named = await request(app).get(`/api/analytics/${name}?userId=${STUDENT}`).set(withToken(token));
    const implicit = await request(app).get(`/api/analytics/${name}`).set(withToken(token));
    const byKey = await request(app).get(`/api/analytics/${name}?userId=${STUDENT}`).set(bearer('read'));
    for (const res of [named, implicit, byKey]) expect({ status: res.status, userId: res.body.meta?.userId }).toEqual({ status: 200, userId: STUDENT });
    expect(implicit.body.data).toEqual(byKey.body.data);
    expect(named.body.data).toEqual(byKey.body.data);
  });

  it('takes the period as an API key does', async () => {
    const res = await request(app).get('/api/analytics/missions/summary?period=7d').set(withToken(await studentToken()));
    expect({ status: res.status, period: res.body.data.period }).toEqual({ status: 200, period: '7d' });
  });

  it('POST /api/analytics/predictions/generate: for its own user, named or left out', async () => {
    const token = await studentToken();
    for (const body of [{ userId: STUDENT }, {}]) {
      const res = await request(app).post('/api/analytics/predictions/generate').set(withToken(token)).send(body);
      expect({ status: res.status, userId: res.body.meta?.userId, cache: res.body.meta?.cache }).toEqual({ status: 200, userId: STUDENT, cache: 'compute' });
    }
  });
});

describe('403 for another user or another route', () => {
  const forbidden = (message: string) => ({ error: { code: 'E_FORBIDDEN', message } });

  it.each(AGGREGATE_NAMES)("GET /api/analytics/%s for another user's id", async (name) => {
    const res = await request(app).get(`/api/analytics/${name}?userId=student-2`).set(withToken(await studentToken()));
    expect({ status: res.status, body: res.body }).toEqual({ status: 403, body: forbidden("a user token may read only its own user's analytics") });
  });

  it('POST /api/analytics/predictions/generate for another user recomputes nothing', async () => {
    const recomputes = await system.queue(QUEUE_NAMES.recompute).getJobCountByTypes('completed', 'waiting', 'active', 'prioritized', 'delayed');
    const res = await request(app).post('/api/analytics/predictions/generate').set(withToken(await studentToken())).send({ userId: 'student-2' });
    expect({ status: res.status, body: res.body }).toEqual({ status: 403, body: forbidden("a user token may read only its own user's analytics") });
    expect(await system.queue(QUEUE_NAMES.recompute).getJobCountByTypes('completed', 'waiting', 'active', 'prioritized', 'delayed')).toBe(recomputes);
  });

  it.each([
    ['post', '/api/events', { events: [{ eventId: 'ut-forged', userId: STUDENT, type: 'self_report', occurredAt: new Date().toISOString(), properties: { stress: 1 } }] }],
    ['post', '/api/sessions', { sessions: [] }],
    ['get', '/api/admin/cache/stats', undefined],
    ['get', '/admin/queues', undefined],
    ['get', '/admin/queues/api/queues', undefined],
  ] as const)('%s %s (ingest and admin) refuses a user token', async (method, path, body) => {
    const sent = request(app)[method](path).set(withToken(await studentToken()));
    const res = await (body ? sent.send(body) : sent);
    expect({ status: res.status, body: res.body }).toEqual({ status: 403, body: forbidden('a user token may call only the analytics routes') });
    expect(await system.queue(QUEUE_NAMES.behavioralEvent).getJob('ut-forged')).toBeUndefined();
  });
});

describe('401 for a token that is not valid', () => {
  const route = `/api/analytics/patterns?userId=${STUDENT}`;
  const refused = async (token: string) => {
    const res = await request(app).get(route).set(withToken(token));
    return { status: res.status, code: res.body.error?.code, message: res.body.error?.message };
  };
  const notValid = { status: 401, code: 'E_UNAUTHORIZED', message: 'the token is not valid' };

  it(`expired: 401 once past exp by more than the ${CLOCK_LEEWAY_SECONDS} s leeway; accepted just inside it`, async () => {
    expect(await refused(await studentToken({ exp: nowSeconds() - CLOCK_LEEWAY_SECONDS - 5 }))).toEqual({
      status: 401,
      code: 'E_UNAUTHORIZED',
      message: 'the token has expired; get a fresh one from the study app',
    });
    expect((await request(app).get(route).set(withToken(await studentToken({ exp: nowSeconds() - CLOCK_LEEWAY_SECONDS + 5 })))).status).toBe(200);
  });

  it('older than the maximum age (a day by default) since its iat, whatever its exp says; without iat; issued in the future', async () => {
    const tenYears = nowSeconds() + 10 * 365 * 86_400;
    const expiredMessage = { status: 401, code: 'E_UNAUTHORIZED', message: 'the token has expired; get a fresh one from the study app' };
    // Minted with an exp ten years ahead: accepted while young, refused once a day old.
    expect((await request(app).get(route).set(withToken(await studentToken({ exp: tenYears })))).status).toBe(200);
    expect(await refused(await studentToken({ exp: tenYears, iat: nowSeconds() - 86_400 - CLOCK_LEEWAY_SECONDS - 5 }))).toEqual(expiredMessage);
    expect((await request(app).get(route).set(withToken(await studentToken({ exp: tenYears, iat: nowSeconds() - 86_400 + 60 })))).status).toBe(200);
    expect(await refused(await studentToken({ iat: null }))).toEqual(notValid);
    expect(await refused(await studentToken({ iat: nowSeconds() + 3_600 }))).toEqual(notValid);
  });

  it('AUTH_JWT_MAX_AGE sets the maximum age: an hour-old token is refused at 30m, accepted at 2h', async () => {
    const hourOld = await studentToken({ iat: nowSeconds() - 3_600 });
    const withMaxAge = (seconds: number) => appWith(system, { config: { userTokens: { ...system.config.userTokens!, maxAgeSeconds: seconds } }, registry: new Registry() });
    expect((await request(withMaxAge(1_800)).get(route).set(withToken(hourOld))).status).toBe(401);
    expect((await request(withMaxAge(7_200)).get(route).set(withToken(hourOld))).status).toBe(200);
  });

  it('signed with another secret, or with its claims changed after signing', async () => {
    expect(await refused(await mintToken(secretSigner('not-the-study-app-secret-0123456789abcdef'), STUDENT, { iss: ISSUER, aud: AUDIENCE }))).toEqual(notValid);
    expect(await refused(withClaims(await studentToken(), { sub: 'student-2', iss: ISSUER, aud: AUDIENCE, exp: nowSeconds() + 300 }))).toEqual(notValid);
  });

  it('alg none (unsigned), and the right claims with the signature cut off', async () => {
    expect(await refused(unsignedToken(STUDENT))).toEqual(notValid);
    const [header, payload] = (await studentToken()).split('.');
    expect(await refused(`${header}.${payload}.`)).toEqual(notValid);
  });

  it('an algorithm other than HS256 (RS256 with a key of its own)', async () => {
    const { signer } = await keyPair('RS256', 'attacker');
    expect(await refused(await mintToken(signer, STUDENT, { iss: ISSUER, aud: AUDIENCE }))).toEqual(notValid);
  });

  it('another issuer or audience, no exp, no sub, or a sub that is not a user id', async () => {
    expect(await refused(await studentToken({ iss: 'https://elsewhere.example.test' }))).toEqual(notValid);
    expect(await refused(await studentToken({ aud: 'another-api' }))).toEqual(notValid);
    expect(await refused(await studentToken({ exp: null }))).toEqual(notValid);
    expect(await refused(await mintToken(secretSigner(), undefined, { iss: ISSUER, aud: AUDIENCE }))).toEqual(notValid);
    expect(await refused(await mintToken(secretSigner(), 'student 1/../*', { iss: ISSUER, aud: AUDIENCE }))).toEqual(notValid);
  });

  it('a token-shaped string that is none, on a route that takes only API keys', async () => {
    expect(await refused('aaa.bbb.ccc')).toEqual(notValid);
    const res = await request(app).get('/api/admin/cache/stats').set(withToken('aaa.bbb.ccc'));
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 401, code: 'E_UNAUTHORIZED' });
  });
});

describe('API keys keep working', () => {
  it('a read key reads any user it names, and must name one', async () => {
    expect((await request(app).get('/api/analytics/patterns?userId=student-2').set(bearer('read'))).status).toBe(200);
    const unnamed = await request(app).get('/api/analytics/patterns').set(bearer('read'));
    expect({ status: unnamed.status, code: unnamed.body.error?.code }).toEqual({ status: 400, code: 'E_VALIDATION' });
    const noBody = await request(app).post('/api/analytics/predictions/generate').set(bearer('read')).send({});
    expect({ status: noBody.status, code: noBody.body.error?.code }).toEqual({ status: 400, code: 'E_VALIDATION' });
  });

  it('roles as before: the ingest key may not read, the read key may not ingest', async () => {
    expect((await request(app).get('/api/analytics/patterns?userId=u1').set(bearer('ingest'))).body).toEqual({ error: { code: 'E_FORBIDDEN', message: 'this route needs the read role' } });
    expect((await request(app).post('/api/events').set(bearer('read')).send({ events: [] })).status).toBe(403);
    expect((await request(app).get('/api/admin/cache/stats').set(bearer('admin'))).status).toBe(200);
  });
});

describe('while the API runs open (development without API_KEYS)', () => {
  it('a request without credentials reads any user, but a presented user token is still verified and scoped', async () => {
    const open = appWith(system, { config: { apiKeys: [] }, registry: new Registry() });
    expect((await request(open).get('/api/analytics/patterns?userId=student-2')).status).toBe(200);
    expect((await request(open).get('/api/analytics/patterns?userId=student-2').set(withToken(await studentToken()))).status).toBe(403);
    expect((await request(open).get('/api/analytics/patterns').set(withToken(await studentToken()))).body.meta?.userId).toBe(STUDENT);
    expect((await request(open).get('/api/analytics/patterns').set(withToken(await studentToken({ exp: nowSeconds() - 3600 })))).status).toBe(401);
  });
});

describe('what a token leaves in responses and logs', () => {
  it('the request log names the subject and why a token was refused, never the token', async () => {
    const good = await studentToken();
    const expired = await studentToken({ exp: nowSeconds() - 3600 });
    const forged = withClaims(good, { sub: 'student-2', exp: nowSeconds() + 300 });
    const bodies: string[] = [];
    for (const [token, id] of [
      [good, 'log-good'],
      [expired, 'log-expired'],
      [forged, 'log-forged'],
    ] as const) {
      const res = await request(app).get('/api/analytics/patterns').set(withToken(token)).set('X-Request-Id', id);
      bodies.push(res.text);
    }
    await request(app).get('/api/analytics/patterns?userId=u1').set(bearer('read')).set('X-Request-Id', 'log-key');

    const completed = (id: string) => logs.find((l) => (l.req as { id?: string } | undefined)?.id === id && typeof l.responseTime === 'number');
    expect(completed('log-good')).toMatchObject({ subject: `user:${STUDENT}`, res: { statusCode: 200 } });
    expect(completed('log-expired')).toMatchObject({ tokenRefused: 'ERR_JWT_EXPIRED', res: { statusCode: 401 } });
    expect(completed('log-forged')).toMatchObject({ tokenRefused: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED', res: { statusCode: 401 } });
    await request(app).get('/api/analytics/patterns').set(withToken(await studentToken({ iat: nowSeconds() - 2 * 86_400, exp: nowSeconds() + 86_400 }))).set('X-Request-Id', 'log-too-old');
    expect(completed('log-too-old')).toMatchObject({ tokenRefused: 'ERR_JWT_EXPIRED (iat)', res: { statusCode: 401 } });
    expect(completed('log-expired')?.subject).toBeUndefined();
    expect(completed('log-key')).toMatchObject({ subject: expect.stringMatching(/^read-key:[0-9a-f]{16}$/) });

    const everything = JSON.stringify(logs) + bodies.join('');
    for (const token of [good, expired, forged]) for (const part of token.split('.')) expect(everything).not.toContain(part);
  });
});

describe('CORS on the analytics routes only, for the configured origins', () => {
  const accessControl = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).filter(([name]) => name.startsWith('access-control-')));
  const preflight = (path: string, origin: string, method = 'GET') =>
    request(app).options(path).set({ Origin: origin, 'Access-Control-Request-Method': method, 'Access-Control-Request-Headers': 'authorization,content-type' });

  it('answers the preflight of a configured origin: that origin, GET/POST, Authorization allowed, cached 10 minutes', async () => {
    for (const [path, method] of [
      ['/api/analytics/missions/summary', 'GET'],
      ['/api/analytics/predictions/generate', 'POST'],
    ] as const) {
      const res = await preflight(path, DASHBOARD, method);
      expect(res.status).toBe(204);
      expect(accessControl(res.headers)).toEqual({
        'access-control-allow-origin': DASHBOARD,
        'access-control-allow-methods': 'GET,POST',
        'access-control-allow-headers': 'Authorization,Content-Type',
        'access-control-max-age': '600',
        'access-control-expose-headers': 'X-Cache,X-Request-Id',
      });
      expect(res.headers.vary).toMatch(/\bOrigin\b/);
    }
  });

  it("the configured origin's reads and refusals carry the origin, so the page can read them", async () => {
    for (const [headers, status] of [
      [withToken(await studentToken()), 200],
      [withToken(await studentToken({ exp: nowSeconds() - 3600 })), 401],
      [{}, 401],
    ] as const) {
      const res = await request(app).get('/api/analytics/patterns').set({ Origin: DASHBOARD, ...headers });
      expect({ status: res.status, origin: res.headers['access-control-allow-origin'], vary: res.headers.vary }).toEqual({ status, origin: DASHBOARD, vary: expect.stringMatching(/\bOrigin\b/) });
    }
  });

  it('another origin gets no CORS header at all, neither on a read nor on its preflight', async () => {
    for (const origin of ['https://evil.example.test', 'https://dashboard.example.test.evil.example', 'null']) {
      const read = await request(app).get('/api/analytics/patterns').set({ Origin: origin, ...withToken(await studentToken()) });
      expect({ status: read.status, cors: accessControl(read.headers), vary: read.headers.vary }).toEqual({ status: 200, cors: {}, vary: expect.stringMatching(/\bOrigin\b/) });
      const pre = await preflight('/api/analytics/patterns', origin);
      expect({ status: pre.status === 204 ? 204 : 'not 204', cors: accessControl(pre.headers) }).toEqual({ status: 'not 204', cors: {} });
    }
  });

  it.each([
    ['/api/events', 'POST'],
    ['/api/sessions', 'POST'],
    ['/api/admin/cache/stats', 'GET'],
    ['/admin/queues', 'GET'],
    ['/admin/queues/api/queues', 'GET'],
    ['/health/ready', 'GET'],
  ])('no CORS on %s, even for the configured origin', async (path, method) => {
    const pre = await preflight(path, DASHBOARD, method);
    expect(accessControl(pre.headers)).toEqual({});
    const plain = await request(app).get(path).set({ Origin: DASHBOARD, ...bearer('admin') });
    expect(accessControl(plain.headers)).toEqual({});
  });
});

describe('the OpenAPI document', () => {
  it('describes both bearer schemes, and admits user tokens on the analytics routes only', async () => {
    const doc = (await request(app).get('/api/openapi.json')).body as {
      components: { securitySchemes: Record<string, { type: string; scheme: string; bearerFormat?: string }> };
      paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
    };
    expect(doc.components.securitySchemes).toMatchObject({ bearer: { type: 'http', scheme: 'bearer' }, userToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } });
    const schemesOf = (path: string, method: string) => (doc.paths[path]?.[method]?.security ?? []).flatMap((requirement) => Object.keys(requirement));
    for (const name of AGGREGATE_NAMES) expect(schemesOf(`/api/analytics/${name}`, 'get')).toEqual(['bearer', 'userToken']);
    expect(schemesOf('/api/analytics/predictions/generate', 'post')).toEqual(['bearer', 'userToken']);
    for (const [path, method] of [
      ['/api/events', 'post'],
      ['/api/sessions', 'post'],
      ['/api/admin/cache/stats', 'get'],
      ['/admin/queues', 'get'],
    ])
      expect(schemesOf(path!, method!)).not.toContain('userToken');
  });
});
