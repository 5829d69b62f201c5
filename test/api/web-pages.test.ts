import request from 'supertest';
import { Registry } from 'prom-client';
import { loadConfig } from '@shared/config/config';
import type { ApiApp } from '../../services/api/src/app';
import { appFor, API_KEYS_ENV, bearer, KEYS } from '../support/api-app';
import { startTestSystem, type TestSystem } from '../support/system';
import { mintToken, secretSigner, STUDY_APP_SECRET } from '../support/user-token-fixtures';

/**
 * The pages for people and the route the demo's student picker reads: `/` (and
 * START_PAGE=false), `/docs`, `/demo` and the files they load, each from this process;
 * `GET /api/users/recent` with its roles, order and limits.
 */
let system: TestSystem;
let app: ApiApp;
const apps: ApiApp[] = [];

/** The app with a configuration of its own (one registry per app: several share the system). */
function appWith(env: Record<string, string>): ApiApp {
  const config = { ...system.config, startPage: loadConfig(env).startPage };
  const made = appFor({ ...system, config, infra: { ...system.infra, registry: new Registry() } });
  apps.push(made);
  return made;
}

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
const selfReport = (userId: string, minutes: number) => ({ eventId: `web-${userId}-${minutes}`, userId, type: 'self_report', occurredAt: minutesAgo(minutes), properties: { stress: 2 } });

beforeAll(async () => {
  system = await startTestSystem({ env: { API_KEYS: API_KEYS_ENV, AUTH_JWT_SECRET: STUDY_APP_SECRET } });
  app = appFor(system);
  apps.push(app);
  // Three students, last active 30, 10 and 20 minutes ago.
  const events = [selfReport('web-ana', 40), selfReport('web-ana', 30), selfReport('web-ben', 10), selfReport('web-cho', 20)];
  expect((await request(app).post('/api/events').set(bearer('ingest')).send({ events })).status).toBe(202);
  await system.drained();
}, 60_000);
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await system?.stop();
});

describe('the start page', () => {
  it('answers / with HTML about this instance: mode, health, queues, links; no key, no script', async () => {
    const res = await request(app).get('/').set('Host', 'localhost:3000');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-security-policy']).toContain("script-src 'none'");
    expect(res.text).toContain('server mode');
    expect(res.text).toMatch(/<td>behavioral-event<\/td><td>\d+<\/td>/);
    for (const href of ['/docs', '/demo', '/admin/queues', '/metrics']) expect(res.text).toContain(`href="${href}"`);
    expect(res.text).toContain('curl -X POST http://localhost:3000/api/events');
    expect(res.text).not.toMatch(/<script/i);
    for (const key of Object.values(KEYS)) expect(res.text).not.toContain(key);
  });

  it('START_PAGE=false: / is a 404 like any unknown route; /docs and /demo stay', async () => {
    const off = appWith({ START_PAGE: 'false' });
    const res = await request(off).get('/');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'E_NOT_FOUND', message: 'no route /' } });
    expect((await request(off).get('/docs')).status).toBe(200);
    expect((await request(off).get('/demo')).status).toBe(200);
  });

  it('START_PAGE accepts true or false only', () => {
    expect(loadConfig({}).startPage).toBe(true);
    expect(() => loadConfig({ START_PAGE: 'no' })).toThrow(/START_PAGE/);
  });
});

describe('the API reference and the demo dashboard', () => {
  it.each(['/docs', '/demo'])('%s is an HTML page with its own policy: scripts from this process only, no eval', async (path) => {
    const res = await request(app).get(path);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const policy = res.headers['content-security-policy'] as string;
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("connect-src 'self'");
    expect(policy).not.toContain('unsafe-eval');
    // Every script and stylesheet it loads is served here.
    const loads = [...res.text.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
    expect(loads.length).toBeGreaterThan(1);
    for (const file of loads) {
      expect(file.startsWith('/')).toBe(true);
      const asset = await request(app).get(file);
      expect({ file, status: asset.status, type: asset.headers['content-type'] }).toEqual({ file, status: 200, type: expect.stringMatching(/^(text\/javascript|text\/css)/) });
    }
  });

  it('serves the listed files of the packages, nothing else of node_modules', async () => {
    const vega = await request(app).get('/assets/vega/vega.min.js');
    expect(vega.status).toBe(200);
    expect(vega.headers['cache-control']).toBe('no-cache');
    expect(vega.headers.etag).toBeTruthy();
    for (const path of ['/assets/vega/package.json', '/assets/vega/../../package.json', '/assets/swagger-ui/index.html', '/demo/../app.ts']) {
      expect({ path, status: (await request(app).get(path)).status }).toEqual({ path, status: 404 });
    }
  });
});

describe('GET /api/users/recent', () => {
  it('lists the users with the latest activity, latest first, for a read or admin key', async () => {
    for (const role of ['read', 'admin'] as const) {
      const res = await request(app).get('/api/users/recent').set(bearer(role));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        data: {
          users: [
            { userId: 'web-ben', lastActivityAt: expect.any(String) },
            { userId: 'web-cho', lastActivityAt: expect.any(String) },
            { userId: 'web-ana', lastActivityAt: expect.any(String) },
          ],
        },
      });
      // The latest activity is the latest event, not the first one seen.
      expect(Date.parse(res.body.data.users[2].lastActivityAt)).toBeGreaterThan(Date.now() - 31 * 60_000);
    }
    const two = await request(app).get('/api/users/recent?limit=2').set(bearer('read'));
    expect(two.body.data.users.map((u: { userId: string }) => u.userId)).toEqual(['web-ben', 'web-cho']);
  });

  it.each([
    ['no key', {}, 401],
    ['an ingest key', bearer('ingest'), 403],
  ])('refuses %s', async (_what, headers, status) => {
    expect((await request(app).get('/api/users/recent').set(headers)).status).toBe(status);
  });

  it("refuses a student's token: a student may not list the others", async () => {
    const token = await mintToken(secretSigner(), 'web-ana');
    const res = await request(app).get('/api/users/recent').set({ Authorization: `Bearer ${token}` });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('E_FORBIDDEN');
    // …while the same token reads its own analytics, as the demo does with it.
    expect((await request(app).get('/api/analytics/cognitive-load/current').set({ Authorization: `Bearer ${token}` })).status).toBe(200);
  });

  it.each(['limit=0', 'limit=101', 'limit=ten', 'limit=5&userId=web-ana'])('answers ?%s with 400', async (query) => {
    const res = await request(app).get(`/api/users/recent?${query}`).set(bearer('read'));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('E_VALIDATION');
  });

  it('is in the OpenAPI document, for API keys only', async () => {
    const doc = (await request(app).get('/api/openapi.json')).body;
    const operation = doc.paths['/api/users/recent'].get;
    expect(operation.security).toEqual([{ bearer: [] }]);
    expect(operation.responses['200'].content['application/json'].schema.properties.data.properties.users.type).toBe('array');
  });
});
