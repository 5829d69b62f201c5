import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { AGGREGATE_NAMES } from '@shared/aggregates/registry';
import type { ApiApp } from '../../services/api/src/app';
import { appFor, API_KEYS_ENV, KEYS } from '../support/api-app';
import { runTool, toolEnv } from '../support/run-tool';
import { startTestSystem, type TestSystem } from '../support/system';
import { mintToken, secretSigner, STUDY_APP_SECRET } from '../support/user-token-fixtures';

/**
 * What a newcomer meets, in headless Chromium against the real API over real HTTP: the start
 * page and every link on it, the API reference listing the analytics routes, and — after a
 * short `pnpm simulate` over HTTP — the demo dashboard drawing a simulated student's charts,
 * with the read key entered on the page, then with that student's own token. No page error,
 * no console error (a CSP violation is one), no request to anything but the API.
 *
 * A screenshot of each page is kept in test-results/first-contact/ (git-ignored), or in
 * FIRST_CONTACT_SCREENSHOT_DIR.
 */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];
const SCREENSHOTS = process.env.FIRST_CONTACT_SCREENSHOT_DIR ?? resolve(__dirname, '..', '..', 'test-results', 'first-contact');
/** How Chromium logs an answer 401 to a page's fetch (a failed resource load, not a page error). */
const KEYLESS_401 = /^console error: Failed to load resource: the server responded with a status of 401/;
/** The tiles a student with sessions and card reviews has a chart in. */
const CHART_TILES = ['hours', 'days', 'objectives', 'load', 'predictions'];

let system: TestSystem;
let app: ApiApp;
let server: Server;
let browser: Browser;
let base: string;
/** A simulated student with sessions, reviewed objectives and predictions. */
let student: string;

async function readJson(path: string): Promise<any> {
  const res = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${KEYS.read}` } });
  expect(res.status).toBe(200);
  return res.json();
}

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  system = await startTestSystem({ env: { API_KEYS: API_KEYS_ENV, AUTH_JWT_SECRET: STUDY_APP_SECRET } });
  app = appFor(system);
  server = createServer(app);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // A short simulation, as a person would run it against this API.
  const simulation = await runTool('simulate.ts', ['--url', base, '--key', KEYS.ingest, '--users', '6', '--rate', '80', '--duration', '3', '--seed', '7', '--json'], toolEnv(system));
  expect(simulation.code).toBe(0);
  await system.drained();

  const { data } = await readJson('/api/users/recent?limit=100');
  for (const { userId } of data.users as { userId: string }[]) {
    const [patterns, objectives, predictions] = await Promise.all(['patterns', 'objectives', 'predictions'].map((name) => readJson(`/api/analytics/${name}?userId=${userId}`)));
    if (patterns.data.sessionsAnalyzed > 0 && objectives.data.objectives.length > 0 && predictions.data.predictions.length > 0) {
      student = userId;
      break;
    }
  }
  expect(student).toBeDefined();

  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise((done) => server?.close(done));
  await app?.close();
  await system?.stop();
});

interface Watched {
  context: BrowserContext;
  page: Page;
  /** Uncaught exceptions and console errors of the page. */
  problems: string[];
  /** Requests to anything but the API under test (aborted). */
  outside: string[];
}

/** A page that only ever talks to the API under test, its problems recorded. */
async function watchedPage(httpCredentials?: { username: string; password: string }): Promise<Watched> {
  const context = await browser.newContext({ httpCredentials, viewport: { width: 1400, height: 900 } });
  const outside: string[] = [];
  await context.route('**/*', (route) => {
    if (route.request().url().startsWith(base)) return route.continue();
    outside.push(route.request().url());
    return route.abort();
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  return { context, page, problems, outside };
}

it('the start page says what runs, and every link on it works', async () => {
  // Bull Board asks for basic auth: the admin key as password, as the page says.
  const { context, page, problems, outside } = await watchedPage({ username: 'admin', password: KEYS.admin });
  try {
    expect((await page.goto(`${base}/`))?.status()).toBe(200);
    expect(await page.title()).toBe('study analytics');
    expect(await page.locator('#status').innerText()).toMatch(/Mode\s+server:[\s\S]*PostgreSQL: ok[\s\S]*Redis: ok[\s\S]*behavioral-event/);
    await page.screenshot({ path: join(SCREENSHOTS, 'start.png'), fullPage: true });
    expect(problems).toEqual([]);
    expect(outside).toEqual([]);

    // Each link answers 200 (Bull Board after its basic-auth challenge); what the pages behind
    // them do is the other tests' concern (Bull Board's own page links web fonts, aborted here).
    const links = [...new Set(await page.locator('a[href^="/"]').evaluateAll((anchors) => anchors.map((a) => a.getAttribute('href')!)))];
    expect(links).toEqual(expect.arrayContaining(['/docs', '/demo', '/admin/queues', '/metrics']));
    for (const link of links) {
      const response = await page.goto(`${base}${link}`);
      expect({ link, status: response?.status() }).toEqual({ link, status: 200 });
    }
  } finally {
    await context.close();
  }
});

it('/docs renders the OpenAPI document and lists every analytics route', async () => {
  const { context, page, problems, outside } = await watchedPage();
  try {
    expect((await page.goto(`${base}/docs`))?.status()).toBe(200);
    await page.locator('.opblock').first().waitFor();
    const listed = await page.locator('.opblock-summary-path').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-path')));
    for (const name of AGGREGATE_NAMES) expect(listed).toContain(`/api/analytics/${name}`);
    expect(listed).toEqual(expect.arrayContaining(['/api/analytics/predictions/generate', '/api/users/recent', '/api/events']));
    // One operation opened, as a reader would: its parameters are there.
    await page.locator('.opblock-summary', { hasText: '/api/analytics/cognitive-load/current' }).first().click();
    await page.locator('.parameters').first().waitFor();
    expect(await page.locator('.parameters').first().innerText()).toContain('userId');
    await page.screenshot({ path: join(SCREENSHOTS, 'docs.png'), fullPage: true });
    expect(problems).toEqual([]);
    expect(outside).toEqual([]);
  } finally {
    await context.close();
  }
});

/** The text of `selector` once it matches `pattern` (the page updates it as answers arrive). */
async function textOnceMatching(page: Page, selector: string, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = await page.locator(selector).innerText().catch(() => '');
    if (pattern.test(text)) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  return text;
}

/** Waits for the dashboard to finish a load; then each tile's state, and the marks its chart drew. */
async function dashboardState(page: Page): Promise<Record<string, { state: string; marks: number }>> {
  await page.locator('#dashboard[data-loaded]').waitFor({ timeout: 30_000 });
  return page.locator('#dashboard .tile').evaluateAll((tiles) =>
    Object.fromEntries(tiles.map((tile) => [tile.getAttribute('data-tile')!, { state: tile.getAttribute('data-state') ?? '', marks: tile.querySelectorAll('svg .mark-rect path, svg .mark-line path, svg .mark-symbol path').length }])),
  );
}

it("/demo, with the read key entered on the page, draws a simulated student's charts", async () => {
  const { context, page, problems, outside } = await watchedPage();
  try {
    expect((await page.goto(`${base}/demo#user=${student}`))?.status()).toBe(200);
    // Keys are required here: the page says so before anything is drawn.
    expect(await textOnceMatching(page, '#access-status', /needs a key/)).toMatch(/needs a key/);
    await page.fill('#credential', KEYS.read);
    await page.click('#access button[type="submit"]');
    const tiles = await dashboardState(page);
    expect(await page.locator('#student').inputValue()).toBe(student);
    expect(await page.locator('#student-title').innerText()).toBe(`Student ${student}`);
    for (const name of CHART_TILES) expect({ name, ...tiles[name] }).toEqual({ name, state: 'ready', marks: expect.any(Number) });
    for (const name of CHART_TILES) expect({ name, drawn: tiles[name]!.marks > 0 }).toEqual({ name, drawn: true });
    // Missions and interventions depend on what the student did: drawn or said to be empty, never an error.
    for (const name of ['missions', 'interventions']) expect(['ready', 'empty']).toContain(tiles[name]!.state);
    expect(await page.locator('[data-tile="load"] .meta').innerText()).toMatch(/computed .* · served from (l1|l2|db|compute)/);
    await page.screenshot({ path: join(SCREENSHOTS, 'demo.png'), fullPage: true });
    // Its first, keyless question was answered 401 (keys are required here), which Chromium
    // logs as a failed load; anything else is a problem.
    expect(problems.filter((p) => !KEYLESS_401.test(p))).toEqual([]);
    expect(outside).toEqual([]);
  } finally {
    await context.close();
  }
});

it("/demo, with the student's own token: that student's charts, no picker, the key never needed", async () => {
  const { context, page, problems, outside } = await watchedPage();
  try {
    await page.goto(`${base}/demo`);
    await page.fill('#credential', await mintToken(secretSigner(), student));
    await page.click('#access button[type="submit"]');
    const tiles = await dashboardState(page);
    expect(await page.locator('#access-status').innerText()).toBe(`A student's token: it reads its own analytics only (${student}).`);
    expect(await page.locator('#picker').isHidden()).toBe(true);
    expect(await textOnceMatching(page, '#student-title', new RegExp(student))).toBe(`Student ${student}`);
    for (const name of CHART_TILES) expect({ name, state: tiles[name]!.state }).toEqual({ name, state: 'ready' });
    await page.screenshot({ path: join(SCREENSHOTS, 'demo-token.png'), fullPage: true });
    expect(problems.filter((p) => !KEYLESS_401.test(p))).toEqual([]);
    expect(outside).toEqual([]);
  } finally {
    await context.close();
  }
});

it('/demo states what is wrong: a refused key, and a student without any activity', async () => {
  const { context, page, problems } = await watchedPage();
  try {
    await page.goto(`${base}/demo`);
    await page.fill('#credential', 'not-a-key-of-this-api-0000');
    await page.click('#access button[type="submit"]');
    expect(await textOnceMatching(page, '#banner', /refused the credential/)).toMatch(/refused the credential/);
    expect(await page.locator('#dashboard').isHidden()).toBe(true);

    await page.fill('#credential', KEYS.read);
    await page.click('#access button[type="submit"]');
    await page.locator('#dashboard[data-loaded]').waitFor();
    const before = await page.locator('#dashboard').getAttribute('data-loaded');
    await page.fill('#student-id', 'nobody-at-all');
    await page.press('#student-id', 'Enter');
    // Polled from here: a predicate evaluated in the page would be an eval its CSP refuses.
    for (let waited = 0; (await page.locator('#dashboard').getAttribute('data-loaded')) === before && waited < 15_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
    expect(await page.locator('#student-title').innerText()).toBe('Student nobody-at-all');
    const tiles = await dashboardState(page);
    for (const name of ['missions', 'hours', 'days', 'objectives', 'predictions', 'interventions']) expect({ name, state: tiles[name]!.state }).toEqual({ name, state: 'empty' });
    await page.screenshot({ path: join(SCREENSHOTS, 'demo-empty.png'), fullPage: true });
    // The refused key and the keyless first question are failed loads (401) to Chromium; nothing else.
    expect(problems.filter((p) => !KEYLESS_401.test(p))).toEqual([]);
  } finally {
    await context.close();
  }
});
