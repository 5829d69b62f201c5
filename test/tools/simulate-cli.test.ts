import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_KEYS_ENV, appFor, KEYS } from '../support/api-app';
import { startTestSystem, type TestSystem } from '../support/system';
import { runTool, toolEnv, type ToolResult } from '../support/run-tool';
import type { SimulationSummary } from '../../scripts/simulation/simulation';

/** `pnpm simulate` as a user runs it, publishing into a test system whose workers store what arrives. */
let system: TestSystem;
let api: { server: Server; url: string };

beforeAll(async () => {
  system = await startTestSystem({ env: { API_KEYS: API_KEYS_ENV } });
  const app = appFor(system);
  const server: Server = await new Promise((resolve) => {
    const s = createServer(app).listen(0, '127.0.0.1', () => resolve(s));
  });
  api = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}, 60_000);

afterAll(async () => {
  if (api) {
    api.server.closeAllConnections();
    await new Promise((resolve) => api.server.close(resolve));
  }
  await system?.stop();
});

const simulate = (...args: string[]) => runTool('simulate.ts', args, toolEnv(system));

function summaryOf(result: ToolResult): SimulationSummary {
  expect(result.stderr).not.toContain('failed');
  return JSON.parse(result.stdout) as SimulationSummary;
}

async function rowCounts(): Promise<{ events: number; sessions: number }> {
  const { rows } = await system.infra.db.pool.query<{ events: number; sessions: number }>(
    'SELECT (SELECT count(*)::int FROM behavioral_events) AS events, (SELECT count(*)::int FROM study_sessions) AS sessions',
  );
  return rows[0]!;
}

describe('pnpm simulate', () => {
  it('publishes through the typed publisher, and every event it reports as sent is stored', async () => {
    const before = await rowCounts();
    const result = await simulate('--users', '5', '--rate', '60', '--duration', '2', '--seed', '3', '--json');
    expect(result.code).toBe(0);
    const summary = summaryOf(result);
    // No --via: servers are configured (REDIS_URL, DATABASE_URL), so the queues, and it says so.
    expect(result.stderr.split('\n')[0]).toBe(`simulate: server mode (DATABASE_URL, REDIS_URL set): publishing into the BullMQ queues on Redis ${new URL(toolEnv(system).REDIS_URL!).host}, prefix ${system.config.queuePrefix}`);
    expect(summary.sent.events).toBeGreaterThan(0);
    expect(summary.sent.sessions).toBeGreaterThan(0);
    expect(summary.notSent).toEqual({ events: 0, sessions: 0 });
    expect(summary.generated).toEqual(summary.sent);
    // A progress line a second, with each queue's depth and lag.
    expect(result.stderr).toMatch(/^\[\d+s( draining)?\] sent [\d,]+ events \+ [\d,]+ sessions, .* \| behavioral-event \d+ lag [\d.]+s, session-completed \d+ lag [\d.]+s, recompute \d+ lag/m);

    await system.drained();
    const after = await rowCounts();
    expect({ events: after.events - before.events, sessions: after.sessions - before.sessions }).toEqual(summary.sent);
  });

  it('publishes over HTTP with an ingest key, and every event it reports as sent is stored', async () => {
    const before = await rowCounts();
    const result = await simulate('--via', 'http', '--url', api.url, '--key', KEYS.ingest, '--users', '4', '--rate', '50', '--duration', '1.5', '--json');
    expect(result.code).toBe(0);
    const summary = summaryOf(result);
    expect(summary.sent.events).toBeGreaterThan(0);
    expect(summary.notSent).toEqual({ events: 0, sessions: 0 });

    await system.drained();
    const after = await rowCounts();
    expect({ events: after.events - before.events, sessions: after.sessions - before.sessions }).toEqual(summary.sent);
  });

  it('reports what it could not send, and why, with exit code 1 (a refused key is not retried)', async () => {
    const result = await simulate('--via', 'http', '--url', api.url, '--key', 'not-a-key-of-this-system', '--users', '2', '--rate', '20', '--duration', '0.5', '--drain-timeout', '1');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/sent +0 events, 0 sessions/);
    expect(result.stdout).toMatch(/not sent +[1-9][\d,]* events, [1-9][\d,]* sessions/);
    expect(result.stdout).toMatch(/× HTTP 401/);
  });

  it('refuses bad flags with exit code 2, the reason and the usage', async () => {
    const rate = await simulate('--rate', 'fast');
    expect(rate.code).toBe(2);
    expect(rate.stderr).toContain('simulate: --rate must be a whole number (got "fast")');
    expect(rate.stderr).toContain('Usage: pnpm simulate');

    const via = await simulate('--via', 'carrier-pigeon');
    expect(via.code).toBe(2);
    expect(via.stderr).toContain('simulate: --via must be one of publisher, http (got "carrier-pigeon")');
  });
});
