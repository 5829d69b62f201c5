import { API_KEYS_ENV } from '../support/api-app';
import { startApiProcess, startWorkerProcess, type ApiProcess, type ManagedProcess } from '../support/processes';
import { startWorkerProcessFixture, type WorkerProcessFixture } from '../support/worker-process-fixture';
import { expectEveryExpressionToReturnData, expectRulesLoadedAndEvaluated } from './live-checks';
import { startPrometheus, type PrometheusServer } from './prometheus-server';

/**
 * The rules and the dashboard against the system as docker-compose.yml runs it: `pnpm
 * start:api` and `pnpm start:worker` as two processes (their own entry points, the compose
 * file's METRICS_PORT setting for the worker), a real Prometheus configured from the shipped
 * prometheus.yml with `api` and `worker` resolved to them. Every expression must return data
 * here too: the freshness and recompute figures exist only in the worker process, so a
 * layout whose worker is not scraped leaves the freshness rules NaN and the recompute panels
 * empty.
 */
let fixture: WorkerProcessFixture;
let api: ApiProcess;
let worker: ManagedProcess;
let workerMetrics: string;
let prometheus: PrometheusServer;

beforeAll(async () => {
  fixture = await startWorkerProcessFixture('pl', { API_KEYS: API_KEYS_ENV, METRICS_COLLECT_INTERVAL_MS: '500' });
  [api, worker] = await Promise.all([startApiProcess('api', fixture.env), startWorkerProcess('worker', { ...fixture.env, METRICS_PORT: '0' })]);
  const line = JSON.parse(await worker.waitForLine(/"msg":"metrics listening"/)) as { port: number };
  workerMetrics = `127.0.0.1:${line.port}`;
  prometheus = await startPrometheus({ services: { api: `127.0.0.1:${api.port}`, worker: workerMetrics }, intervalSeconds: 1 });
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  await fixture?.close();
});

it('the worker process serves its own /metrics: the pipeline figures the API of this layout does not have', async () => {
  const res = await fetch(`http://${workerMetrics}/metrics`);
  expect([res.status, res.headers.get('content-type')]).toEqual([200, 'text/plain; version=0.0.4; charset=utf-8']);
  const text = await res.text();
  for (const family of ['event_to_visible_seconds', 'recompute_duration_seconds', 'ingest_step_duration_seconds', 'pipeline_jobs_total', 'process_cpu_seconds_total']) {
    expect(text).toContain(`# TYPE ${family} `);
  }
  expect((await fetch(`http://${workerMetrics}/anything-else`)).status).toBe(404);
});

it('every rule and dashboard expression returns data from live scrapes of both processes while events flow', async () => {
  await expectEveryExpressionToReturnData(prometheus, { publisher: fixture.publisher, apiUrl: api.url }, 'docker-compose layout');
}, 120_000);

it('Prometheus loaded every rule and evaluates each without error, and scrapes the API and the worker', async () => {
  const targets = await expectRulesLoadedAndEvaluated(prometheus);
  expect(targets.sort()).toEqual([
    ['study-analytics', `127.0.0.1:${api.port}`, 'up', ''],
    ['study-analytics', workerMetrics, 'up', ''],
  ].sort());
}, 30_000);
