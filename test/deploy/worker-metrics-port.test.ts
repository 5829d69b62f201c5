import { API_KEYS_ENV } from '../support/api-app';
import { startAllInOneProcess } from '../support/processes';
import { startWorkerProcessFixture, type WorkerProcessFixture } from '../support/worker-process-fixture';

/**
 * METRICS_PORT is `pnpm start:worker`'s own port. `pnpm start` hands its environment to its
 * worker processes, which answer its API over IPC instead: none of them may try to listen on
 * that port (two would take the same one, and the second would die at every restart).
 */
let fixture: WorkerProcessFixture;

beforeAll(async () => {
  fixture = await startWorkerProcessFixture('mp', { API_KEYS: API_KEYS_ENV });
}, 60_000);
afterAll(async () => {
  await fixture?.close();
});

it('pnpm start with METRICS_PORT set: its worker processes do not listen; its API serves their metrics', async () => {
  const all = await startAllInOneProcess('all-in-one', { ...fixture.env, METRICS_PORT: '0', WORKER_PROCESSES: '2' });
  // Both children have started their workers (each logs it once).
  const started = () => all.output().split('\n').filter((line) => line.includes('"msg":"workers started"')).length;
  for (const deadline = Date.now() + 30_000; started() < 2 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 100));
  expect(started()).toBe(2);
  expect(all.output()).not.toContain('"msg":"metrics listening"');
  expect(all.output()).not.toMatch(/METRICS_PORT: cannot listen|worker process exited/);
  const metrics = await (await fetch(`${all.url}/metrics`)).text();
  expect(metrics).toContain('# TYPE recompute_duration_seconds histogram');
  await all.stop();
}, 60_000);
