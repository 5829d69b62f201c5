import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createLogger } from '@shared/logger/logger';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { startWorkerRuntime, type WorkerRuntime } from '../../workers/src/worker-runtime';
import { appFor, API_KEYS_ENV, KEYS } from '../support/api-app';
import { startTestSystem, type TestSystem } from '../support/system';

/**
 * Bull Board as an operator sees it: the real API over real HTTP, jobs in every queue
 * (waiting, completed, failed, delayed), opened in headless Chromium with HTTP basic auth
 * (the admin key as password). `BULL_BOARD_SCREENSHOT_DIR=docs/images` also saves the
 * screenshots the docs show.
 */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];
const STATES = ['active', 'waiting', 'waiting-children', 'prioritized', 'completed', 'failed', 'delayed'] as const;
type Counts = Record<(typeof STATES)[number], number>;

let system: TestSystem;
let workers: WorkerRuntime;
let server: Server;
let browser: Browser;
let base: string;

const post = (path: string, body: object) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${KEYS.ingest}` }, body: JSON.stringify(body) });
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
const selfReport = (i: number) => ({ eventId: `board-${i}`, userId: `board-user-${i % 2}`, type: 'self_report', occurredAt: minutesAgo(1), properties: { stress: 3 } });

beforeAll(async () => {
  system = await startTestSystem({ workers: false, env: { API_KEYS: API_KEYS_ENV } });
  server = createServer(appFor(system));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  workers = await startWorkerRuntime(
    { config: system.config, logger: createLogger({ level: 'silent' }), db: system.infra.db, cache: system.writer, registry: system.infra.registry },
    { scheduler: false },
  );

  // Completed: three events and a session through the ingest routes (and the recomputes they cause), one maintenance task.
  expect((await post('/api/events', { events: [selfReport(1), selfReport(2), selfReport(3)] })).status).toBe(202);
  expect((await post('/api/sessions', { sessions: [{ sessionId: 'board-s1', userId: 'board-user-1', startedAt: minutesAgo(60), endedAt: minutesAgo(30), cardsReviewed: 10, correctCount: 7 }] })).status).toBe(202);
  await system.queue(QUEUE_NAMES.maintenance).add('cache-warming', { task: 'cache-warming' });
  // Failed: a malformed job from a buggy publisher (fails at once, kept with its reason).
  await system.queue(QUEUE_NAMES.behavioralEvent).add('self_report', { eventId: 'board-broken', userId: 'not an id' }, { jobId: 'board-broken' });
  await system.drained();
  // Waiting: an operator paused ingest, so two more events wait. Delayed: a task due in an hour.
  await system.queue(QUEUE_NAMES.behavioralEvent).pause();
  expect((await post('/api/events', { events: [selfReport(4), selfReport(5)] })).status).toBe(202);
  await system.queue(QUEUE_NAMES.maintenance).add('retention', { task: 'retention' }, { delay: 3_600_000 });

  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await workers?.close();
  await new Promise((resolve) => server?.close(resolve));
  await system?.stop();
});

/** A browser context that only ever talks to the API under test (Bull Board's page links web fonts). */
async function contextWith(httpCredentials?: { username: string; password: string }): Promise<BrowserContext> {
  const context = await browser.newContext({ httpCredentials, viewport: { width: 1600, height: 760 } });
  await context.route('**/*', (route) => (route.request().url().startsWith(base) ? route.continue() : route.abort()));
  return context;
}

async function queueCounts(name: string): Promise<Counts> {
  const counts = await system.queue(name).getJobCounts(...STATES);
  return Object.fromEntries(STATES.map((s) => [s, counts[s] ?? 0])) as Counts;
}

/** The counts on the status tabs of the page (a tab without a badge shows 0). */
async function shownCounts(page: Page): Promise<Counts> {
  const entries = await Promise.all(
    STATES.map(async (state) => {
      const text = await page.locator(`a[href$="status=${state}"]`).first().innerText();
      return [state, Number(/\d+/.exec(text)?.[0] ?? 0)] as const;
    }),
  );
  return Object.fromEntries(entries) as Counts;
}

/** The page polls the API; wait (bounded) until what it shows settles on `expected`, then compare. */
async function settled<T>(read: () => Promise<T>, expected: T, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let shown = await read();
  while (JSON.stringify(shown) !== JSON.stringify(expected) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    shown = await read();
  }
  return shown;
}

const screenshotDir = process.env.BULL_BOARD_SCREENSHOT_DIR;

it('the queues state is what the fixture made', async () => {
  expect(await queueCounts(QUEUE_NAMES.behavioralEvent)).toMatchObject({ waiting: 2, completed: 3, failed: 1 });
  expect(await queueCounts(QUEUE_NAMES.sessionCompleted)).toMatchObject({ completed: 1 });
  expect((await queueCounts(QUEUE_NAMES.recompute)).completed).toBeGreaterThanOrEqual(2);
  expect(await queueCounts(QUEUE_NAMES.maintenance)).toMatchObject({ completed: 1, delayed: 1 });
});

it('lists the four queues with their job totals, opened with basic auth (admin key as password)', async () => {
  const context = await contextWith({ username: 'admin', password: KEYS.admin });
  try {
    const page = await context.newPage();
    const response = await page.goto(`${base}/admin/queues`);
    expect(response?.status()).toBe(200);
    expect(await page.title()).toBe('study analytics');
    const expected: Record<string, string> = {};
    for (const name of Object.values(QUEUE_NAMES)) {
      const total = Object.values(await queueCounts(name)).reduce((a, b) => a + b, 0);
      expected[name] = `${total} ${total === 1 ? 'Job' : 'Jobs'}`;
    }
    const cardOf = (name: string) => page.locator('li', { has: page.locator(`a[title="${name}"]`) }).last();
    const totals = async () => Object.fromEntries(await Promise.all(Object.keys(expected).map(async (name) => [name, (/\d+ Jobs?/.exec(await cardOf(name).innerText()) ?? [''])[0]])));
    await cardOf(QUEUE_NAMES.maintenance).waitFor();
    expect(await settled(totals, expected)).toEqual(expected);
    // The failed job and the pause are flagged on the card, where an operator looks first.
    expect(await cardOf(QUEUE_NAMES.behavioralEvent).innerText()).toMatch(/Paused[\s\S]*FAILED\s*1/i);
    if (screenshotDir) await page.screenshot({ path: join(screenshotDir, 'bull-board.png'), clip: { x: 0, y: 0, width: 1600, height: 420 } });
  } finally {
    await context.close();
  }
});

it.each(Object.values(QUEUE_NAMES))('the %s page shows its count per state and the jobs-per-minute chart', async (name) => {
  const context = await contextWith({ username: 'admin', password: KEYS.admin });
  try {
    const page = await context.newPage();
    expect((await page.goto(`${base}/admin/queues/queue/${name}`))?.status()).toBe(200);
    await page.locator('a[href$="status=completed"]').first().waitFor();
    const expected = await queueCounts(name);
    expect(await settled(() => shownCounts(page), expected)).toEqual(expected);
    await page.getByText('Throughput (jobs / min)').waitFor();
    if (screenshotDir && name === QUEUE_NAMES.behavioralEvent) await page.screenshot({ path: join(screenshotDir, 'bull-board-queue.png'), fullPage: true, clip: { x: 0, y: 0, width: 1600, height: 1000 } });
  } finally {
    await context.close();
  }
});

it.each([
  ['no credentials', undefined, 401],
  ['a wrong password', { username: 'admin', password: 'not-the-admin-key-000' }, 401],
  ['the read key', { username: 'admin', password: KEYS.read }, 403],
])('refuses the page with %s', async (_what, credentials, status) => {
  const context = await contextWith(credentials);
  try {
    const page = await context.newPage();
    const answers: { status: number; challenge?: string }[] = [];
    page.on('response', (r) => {
      if (r.url() === `${base}/admin/queues`) answers.push({ status: r.status(), challenge: r.headers()['www-authenticate'] });
    });
    // Without credentials Chromium cancels the login prompt a headless browser cannot show
    // (net::ERR_INVALID_AUTH_CREDENTIALS) and shows no body; the server's answer is what matters.
    const shown = await page.goto(`${base}/admin/queues`).then(
      () => true,
      (error: Error) => (expect(error.message).toMatch(/ERR_INVALID_AUTH_CREDENTIALS/), false),
    );
    expect(answers.map((a) => a.status)).toEqual([status]);
    if (status === 401) expect(answers[0]!.challenge).toBe('Basic realm="bull-board"');
    if (shown) expect(JSON.parse(await page.innerText('body'))).toEqual({ error: { code: status === 401 ? 'E_UNAUTHORIZED' : 'E_FORBIDDEN', message: expect.any(String) } });
    expect(await page.locator('a[title="maintenance"]').count()).toBe(0);
  } finally {
    await context.close();
  }
});
