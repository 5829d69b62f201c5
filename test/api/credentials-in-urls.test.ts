import request from 'supertest';
import type { ApiApp } from '../../services/api/src/app';
import { Registry } from 'prom-client';
import { API_KEYS_ENV, bearer } from '../support/api-app';
import { startTestSystem, type TestSystem } from '../support/system';
import { appWith, loggerInto } from '../support/user-token-fixtures';

/**
 * A credential in a URL (`?access_token=…`, a common client mistake; `?api_key=…`) is
 * refused as it should be, and no log line keeps it: every line the app writes, at the most
 * verbose level, across routes that refuse, answer, probe and scrape.
 */
const SECRET = 'eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.c2lnbmF0dXJl';
const KEY = 'this-key-must-never-be-logged-0123';
let system: TestSystem;
let app: ApiApp;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  system = await startTestSystem({ workers: false, env: { API_KEYS: API_KEYS_ENV } });
  app = appWith(system, { logger: loggerInto(lines, 'trace'), registry: new Registry() });
}, 60_000);
afterAll(async () => {
  await system?.stop();
});

it('is refused with 400 on an analytics route, and its request line shows the parameter with its value redacted', async () => {
  const res = await request(app).get(`/api/analytics/patterns?userId=u1&access_token=${SECRET}`).set(bearer('read')).set('X-Request-Id', 'redact-1');
  expect([res.status, res.body.error?.code]).toEqual([400, 'E_VALIDATION']);
  const line = lines.find((l) => (l.req as { id?: string } | undefined)?.id === 'redact-1');
  expect(line).toMatchObject({ req: { url: '/api/analytics/patterns?userId=u1&access_token=[REDACTED]' }, res: { statusCode: 400 } });
});

it('leaves no credential of any URL in any log line, whatever the route and the answer', async () => {
  const query = `access_token=${SECRET}&token=${SECRET}&api_key=${KEY}&key=${KEY}&apiKey=${KEY}&client_secret=${KEY}&password=${KEY}`;
  const answers = [
    await request(app).get(`/api/analytics/patterns?userId=u1&${query}`), // 401: no key in the header
    await request(app).get(`/api/analytics/cognitive-load/current?${query}&userId=u1`).set(bearer('read')), // 400
    await request(app).post(`/api/events?${query}`).set(bearer('ingest')).send({ events: [] }), // 400
    await request(app).post(`/api/events?${query}`).set(bearer('read')).send({ events: [] }), // 403
    await request(app).get(`/api/admin/cache/stats?${query}`).set(bearer('admin')), // 200
    await request(app).get(`/admin/queues/api/queues?${query}`).set(bearer('admin')), // 200, Bull Board
    await request(app).get(`/health/live?${query}`), // 200, logged at trace
    await request(app).get(`/metrics?${query}`), // 200, logged at trace
    await request(app).get(`/no/such/route?${query}`).set(bearer('read')), // 404
  ];
  expect(answers.map((a) => a.status)).toEqual([401, 400, 400, 403, 200, 200, 200, 200, 404]);
  const written = JSON.stringify(lines);
  expect(lines.length).toBeGreaterThanOrEqual(answers.length);
  expect(written).not.toContain(SECRET);
  expect(written).not.toContain(KEY);
  // Each request line is there, with the parameters' names and the rest of the query kept.
  const urls = lines.flatMap((l) => ((l.req as { url?: string } | undefined)?.url ? [(l.req as { url: string }).url] : []));
  expect(urls).toContain('/api/analytics/cognitive-load/current?access_token=[REDACTED]&token=[REDACTED]&api_key=[REDACTED]&key=[REDACTED]&apiKey=[REDACTED]&client_secret=[REDACTED]&password=[REDACTED]&userId=u1');
  expect(urls.filter((url) => url.includes('[REDACTED]'))).toHaveLength(answers.length + 1);
});
