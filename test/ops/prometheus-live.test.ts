import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { appFor, API_KEYS_ENV } from '../support/api-app';
import { startTestSystem, type TestSystem } from '../support/system';
import { expectEveryExpressionToReturnData, expectRulesLoadedAndEvaluated } from './live-checks';
import { startPrometheus, type PrometheusServer } from './prometheus-server';

/**
 * The rules and the dashboard against the running system, as `pnpm start` lays it out: a real
 * Prometheus (Debian's binary) scrapes this test's API — its own database and prefixes,
 * workers in-process, so /metrics has the API's and the pipeline's families, as the API of
 * `pnpm start` serves its worker processes' — while study-app events flow and the dashboard
 * reads, then every expression of docs/ops must return data (live-checks.ts). The
 * docker-compose layout, where the workers are processes of their own, is
 * prometheus-live-compose.test.ts.
 */
let system: TestSystem;
let server: Server;
let prometheus: PrometheusServer;
let apiUrl: string;

beforeAll(async () => {
  // Queue figures collected every 500 ms, so the scrapes see them move.
  system = await startTestSystem({ env: { API_KEYS: API_KEYS_ENV, METRICS_COLLECT_INTERVAL_MS: '500' } });
  server = createServer(appFor(system)).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // No worker target in this layout: the API's /metrics has the workers' metrics.
  prometheus = await startPrometheus({ services: { api: new URL(apiUrl).host, worker: null }, intervalSeconds: 1 });
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  await new Promise((resolve) => server?.close(resolve));
  await system?.stop();
});

it('every rule and dashboard expression returns data from a live scrape while events flow', async () => {
  await expectEveryExpressionToReturnData(prometheus, { publisher: system.publisher, apiUrl }, 'pnpm start layout');
}, 120_000);

it('Prometheus loaded every rule and evaluates each without error, and scrapes the API', async () => {
  const targets = await expectRulesLoadedAndEvaluated(prometheus);
  expect(targets).toEqual([['study-analytics', new URL(apiUrl).host, 'up', '']]);
}, 30_000);
