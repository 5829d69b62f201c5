import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import type { BehavioralEvent } from '@shared/contracts/behavioral-event';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { insertEvents } from '@shared/store/event-store';
import { API_KEYS_ENV, KEYS } from '../support/api-app';
import { startTestSystem, type TestSystem } from '../support/system';
import { appWith, mintToken, secretSigner, STUDY_APP_SECRET } from '../support/user-token-fixtures';

/**
 * The dashboard in the student's browser (SPEC 4.1), in headless Chromium: a page served from
 * an origin in CORS_ORIGINS reads its student's analytics straight from the API with the
 * token the study app minted; the same page from another origin cannot, and no page can call
 * the routes outside the analytics (the browser's preflight gets no CORS answer there).
 */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];
const STUDENT = 'browser-student';

// What a dashboard does: read its token and the API's address, fetch, show what came back.
const DASHBOARD_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>dashboard</title></head>
<body><pre id="out">loading</pre>
<script>
  const settings = new URLSearchParams(location.hash.slice(1));
  fetch(settings.get('api') + '/api/analytics/missions/summary?period=7d', { headers: { Authorization: 'Bearer ' + settings.get('token') } })
    .then(async (res) => ({ status: res.status, cache: res.headers.get('X-Cache'), body: await res.json() }))
    .catch((error) => ({ failed: String(error) }))
    .then((shown) => { document.getElementById('out').textContent = JSON.stringify(shown); });
</script></body></html>`;

let dashboardSite: { server: Server; origin: string };
let otherSite: { server: Server; origin: string };
let system: TestSystem;
let api: Server;
let apiBase: string;
let browser: Browser;

async function startSite(): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    if (req.url === '/dashboard.html') return void res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(DASHBOARD_HTML);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
const close = (server?: Server) => new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));

beforeAll(async () => {
  [dashboardSite, otherSite] = await Promise.all([startSite(), startSite()]);
  system = await startTestSystem({ workers: false, env: { API_KEYS: API_KEYS_ENV, AUTH_JWT_SECRET: STUDY_APP_SECRET, CORS_ORIGINS: dashboardSite.origin } });
  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
  const events: BehavioralEvent[] = [
    { eventId: 'bd-1', userId: STUDENT, type: 'mission_started', occurredAt: minutesAgo(90), properties: { missionId: 'm1' } },
    { eventId: 'bd-2', userId: STUDENT, type: 'mission_completed', occurredAt: minutesAgo(60), properties: { missionId: 'm1', successScore: 0.8, durationMs: 1_800_000 } },
  ];
  await insertEvents(system.infra.db.pool, events);
  api = createServer(appWith(system));
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiBase = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await close(api);
  await system?.stop();
  await Promise.all([close(dashboardSite?.server), close(otherSite?.server)]);
});

/**
 * A fresh browser context. Deliberately without request interception (context.route): with
 * it, Chromium lets an intercepted request through without the CORS preflight this test is
 * about. The pages load nothing but the servers of this test.
 */
async function freshContext(): Promise<BrowserContext> {
  return browser.newContext();
}

/** Opens the dashboard from `origin` and returns what it shows once its fetch has settled. */
async function dashboardFrom(origin: string, token: string): Promise<Record<string, unknown>> {
  const context = await freshContext();
  try {
    const page = await context.newPage();
    await page.goto(`${origin}/dashboard.html#${new URLSearchParams({ api: apiBase, token })}`);
    await page.waitForFunction("document.getElementById('out').textContent !== 'loading'");
    return JSON.parse(await page.innerText('#out')) as Record<string, unknown>;
  } finally {
    await context.close();
  }
}

const studentToken = () => mintToken(secretSigner(), STUDENT);

it("a page from the configured origin reads its student's analytics with the token", async () => {
  const shown = await dashboardFrom(dashboardSite.origin, await studentToken());
  const byService = await fetch(`${apiBase}/api/analytics/missions/summary?period=7d&userId=${STUDENT}`, { headers: { Authorization: `Bearer ${KEYS.read}` } });
  expect(shown).toEqual({ status: 200, cache: expect.stringMatching(/^(l1|l2|db|compute)$/), body: { data: ((await byService.json()) as { data: unknown }).data, meta: expect.objectContaining({ userId: STUDENT }) } });
  expect((shown.body as { data: { started: number; completed: number } }).data).toMatchObject({ started: 1, completed: 1 });
});

it('the same page from an origin not in CORS_ORIGINS cannot read (the fetch fails)', async () => {
  expect(await dashboardFrom(otherSite.origin, await studentToken())).toEqual({ failed: 'TypeError: Failed to fetch' });
});

it('no page can call a route outside the analytics: the preflight gets no CORS headers, the request is never sent', async () => {
  const preflight = await fetch(`${apiBase}/api/events`, {
    method: 'OPTIONS',
    headers: { Origin: dashboardSite.origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' },
  });
  expect([...preflight.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);

  // Even a page that somehow holds the ingest key: the browser stops at the preflight.
  const context = await freshContext();
  try {
    const page = await context.newPage();
    await page.goto(`${dashboardSite.origin}/dashboard.html#${new URLSearchParams({ api: apiBase, token: await studentToken() })}`);
    const event = { eventId: 'bd-from-page', userId: STUDENT, type: 'self_report', occurredAt: new Date().toISOString(), properties: { stress: 2 } };
    const outcome = await page.evaluate(
      async ({ url, key, body }) =>
        fetch(url, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body }).then(
          (res) => `status ${res.status}`,
          (error: unknown) => String(error),
        ),
      { url: `${apiBase}/api/events`, key: KEYS.ingest, body: JSON.stringify({ events: [event] }) },
    );
    expect(outcome).toBe('TypeError: Failed to fetch');
    expect(await system.queue(QUEUE_NAMES.behavioralEvent).getJob('bd-from-page')).toBeUndefined();
  } finally {
    await context.close();
  }
});
