import express, { type Express } from 'express';
import helmet, { type HelmetOptions } from 'helmet';
import request from 'supertest';
import { everyRequest } from './every-request';
import { headersSetBy, JSON_API_HEADERS, securityHeaders } from './security-headers';

/** The precomputed headers are helmet's, header for header and value for value. */
function appWith(setHeaders: (app: Express) => void): Express {
  const app = express();
  app.disable('x-powered-by');
  setHeaders(app);
  app.get('/', (_req, res) => void res.json({ status: 'ok' }));
  return app;
}

// Headers that change per response whatever sets the security headers.
const PER_RESPONSE = new Set(['date', 'etag', 'connection', 'keep-alive', 'content-length']);
const securityHeadersOf = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).filter(([name]) => !PER_RESPONSE.has(name)));

it.each<[string, Readonly<HelmetOptions>]>([
  ['as the app uses it (no CSP)', { contentSecurityPolicy: false }],
  ['with helmet defaults', {}],
  ['with options of its own', { contentSecurityPolicy: false, strictTransportSecurity: { maxAge: 60, preload: true }, referrerPolicy: { policy: ['origin', 'no-referrer'] } }],
])('sends exactly what helmet sends, %s', async (_what, options) => {
  const byHelmet = await request(appWith((app) => app.use(helmet(options)))).get('/');
  const precomputed = await request(appWith((app) => app.use(everyRequest({ onArrival: [securityHeaders(options)], onDone: [] }).middleware))).get('/');
  expect(securityHeadersOf(precomputed.headers)).toEqual(securityHeadersOf(byHelmet.headers));
  expect(Object.keys(securityHeadersOf(precomputed.headers))).toEqual(expect.arrayContaining(['x-content-type-options', 'strict-transport-security', 'x-frame-options']));
});

it('refuses, at start, a middleware whose headers depend on the request or that does not finish at once', () => {
  expect(() => headersSetBy((req, res, next) => (res.setHeader('X-Path', req.url ?? ''), next()))).toThrow(/depend on the request/);
  expect(() => headersSetBy((_req, _res, next) => void setImmediate(next))).toThrow(/did not finish synchronously/);
});

it("gives a JSON API's five headers, none of those meant for an HTML document", () => {
  const names = headersSetBy(helmet(JSON_API_HEADERS)).map(([name]) => name.toLowerCase());
  expect(names.sort()).toEqual(['content-security-policy', 'cross-origin-resource-policy', 'referrer-policy', 'strict-transport-security', 'x-content-type-options']);
  expect(Object.fromEntries(headersSetBy(helmet(JSON_API_HEADERS)))).toMatchObject({ 'Content-Security-Policy': "frame-ancestors 'none'", 'Referrer-Policy': 'no-referrer' });
});
