import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { Registry } from 'prom-client';
import type { Config } from '@shared/config/config';
import { API_KEYS_ENV, bearer } from '../support/api-app';
import { startTestSystem, type TestSystem } from '../support/system';
import { appWith, mintToken, secretSigner, STUDY_APP_SECRET } from '../support/user-token-fixtures';

/**
 * What a caller without the right to it cannot make the API do: read and parse a body
 * before the key is checked, or queue priority recomputes without limit.
 */
let system: TestSystem;

beforeAll(async () => {
  // No workers: nothing here should reach a recompute.
  system = await startTestSystem({ workers: false, env: { API_KEYS: API_KEYS_ENV, AUTH_JWT_SECRET: STUDY_APP_SECRET } });
}, 60_000);
afterAll(async () => {
  await system?.stop();
});

/** An app of its own (registry, and cache prefix for the rate-limit counters), so tests do not share budgets. */
let apps = 0;
const appWithConfig = (config: Partial<Config> = {}) => appWith(system, { config: { cachePrefix: `${system.config.cachePrefix}:a${apps++}`, ...config }, registry: new Registry() });

const BODY_ROUTES = ['/api/events', '/api/sessions', '/api/analytics/predictions/generate'];
const MALFORMED = '{"events": [';
const OVER_ONE_MIB = `{"events":["${'x'.repeat(2 * 1024 * 1024)}"]}`;
const json = { 'Content-Type': 'application/json' };

describe('authentication before the body is read', () => {
  it.each(BODY_ROUTES)('POST %s: 401 without a key, 403 for another role, for a malformed or a 2 MiB body alike', async (path) => {
    const app = appWithConfig();
    for (const body of [MALFORMED, OVER_ONE_MIB]) {
      const anonymous = await request(app).post(path).set(json).send(body);
      expect({ status: anonymous.status, body: anonymous.body }).toEqual({ status: 401, body: { error: { code: 'E_UNAUTHORIZED', message: expect.any(String) } } });
      const wrongRole = await request(app).post(path).set(json).set(bearer(path.startsWith('/api/analytics') ? 'ingest' : 'read')).send(body);
      expect(wrongRole.status).toBe(403);
    }
  });

  it.each(BODY_ROUTES)('POST %s: the same bodies from a caller with the role are parsed as before (400, 413)', async (path) => {
    const app = appWithConfig();
    const role = path.startsWith('/api/analytics') ? 'read' : 'ingest';
    expect((await request(app).post(path).set(json).set(bearer(role)).send(MALFORMED)).body.error.code).toBe('E_INVALID_JSON');
    expect((await request(app).post(path).set(json).set(bearer(role)).send(OVER_ONE_MIB)).body.error.code).toBe('E_PAYLOAD_TOO_LARGE');
  });

  it('answers 401 while the body is still on its way: nothing waited for it, let alone parsed it', async () => {
    const server = createServer(appWithConfig()).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const status = await new Promise<number>((resolve, reject) => {
        // Announces 1 MiB, sends 12 bytes, and never ends the request.
        const req = httpRequest({ port, host: '127.0.0.1', method: 'POST', path: '/api/events', headers: { ...json, 'Content-Length': String(1024 * 1024) } }, (res) => {
          resolve(res.statusCode ?? 0);
          res.resume();
          req.destroy();
        });
        req.on('error', reject);
        req.write(MALFORMED);
      });
      expect(status).toBe(401);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('POST /api/analytics/predictions/generate has a budget per caller', () => {
  // Bodies the route refuses after the limiter has counted them: no recompute is ever queued.
  const another = { userId: 'someone-else' };
  const generate = (app: ReturnType<typeof appWithConfig>, headers: Record<string, string>, body: object) => request(app).post('/api/analytics/predictions/generate').set(headers).send(body);

  it('429 in the error shape past GENERATE_RATE_LIMIT_PER_MINUTE for a key; other keys and ingest keep their own budgets', async () => {
    const app = appWithConfig({ generateRateLimitPerMinute: 2 });
    const invalid = { userId: 'bad*id' };
    expect((await generate(app, bearer('read'), invalid)).status).toBe(400);
    expect((await generate(app, bearer('read'), invalid)).status).toBe(400);
    const refused = await generate(app, bearer('read'), invalid);
    expect({ status: refused.status, body: refused.body }).toEqual({ status: 429, body: { error: { code: 'E_RATE_LIMITED', message: 'at most 2 prediction runs per minute per key' } } });
    expect(refused.headers.ratelimit).toMatch(/"2-in-1min"; r=0/);
    // The admin key has a budget of its own, and the generate budget is not the ingest one.
    expect((await generate(app, bearer('admin'), invalid)).status).toBe(400);
    expect((await request(app).post('/api/events').set(bearer('admin')).send({ events: 'none' })).status).toBe(400);
  });

  it('counts a user token per user, across API instances', async () => {
    const config = { generateRateLimitPerMinute: 2, cachePrefix: `${system.config.cachePrefix}:shared-budget` };
    const [a, b] = [appWith(system, { config, registry: new Registry() }), appWith(system, { config, registry: new Registry() })];
    const student = { Authorization: `Bearer ${await mintToken(secretSigner(), 'student-a')}` };
    expect((await generate(a, student, another)).status).toBe(403);
    expect((await generate(b, student, another)).status).toBe(403);
    expect((await generate(a, student, another)).body).toEqual({ error: { code: 'E_RATE_LIMITED', message: 'at most 2 prediction runs per minute per user' } });
    const otherStudent = { Authorization: `Bearer ${await mintToken(secretSigner(), 'student-b')}` };
    expect((await generate(b, otherStudent, another)).status).toBe(403);
  });

  it('defaults to 60 per minute', () => {
    expect(system.config.generateRateLimitPerMinute).toBe(60);
  });
});
