import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedisServer, type PrivateRedis } from '../../scripts/dev/redis-server';
import { startTestSystem, type TestSystem } from '../support/system';
import type { SimulationSummary } from '../../scripts/simulation/simulation';
import { startTool, toolEnv } from '../support/run-tool';

/**
 * Redis dies while `pnpm simulate` publishes: the simulator retries what failed and, once
 * Redis is back, everything it reports as sent is stored. The test's own redis-server
 * (never the shared one) runs with an fsync-always AOF, so a crash loses nothing that was
 * acknowledged and the count of stored rows can be compared exactly.
 */
let redis: PrivateRedis;
let system: TestSystem;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sa-simulate-outage-'));
  redis = await startRedisServer(['--dir', dataDir, '--appendonly', 'yes', '--appendfsync', 'always']);
  system = await startTestSystem({ env: { REDIS_URL: redis.url } });
}, 60_000);

afterAll(async () => {
  await system?.stop();
  await redis?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('retries through a Redis crash and loses nothing it reports as sent', async () => {
  const pool = system.infra.db.pool;
  const rows = async () =>
    (await pool.query<{ events: number; sessions: number }>('SELECT (SELECT count(*)::int FROM behavioral_events) AS events, (SELECT count(*)::int FROM study_sessions) AS sessions')).rows[0]!;
  const run = startTool('simulate.ts', ['--users', '5', '--rate', '100', '--duration', '5', '--drain-timeout', '30', '--json'], toolEnv(system));

  await waitFor('the first stored events', async () => (await rows()).events > 0);
  await redis.kill();
  await waitFor('the simulator to retry', () => /\(\d+ retries\)/.test(run.output().stderr));
  await redis.restart();

  const result = await run.done;
  expect(result.code).toBe(0);
  const summary = JSON.parse(result.stdout) as SimulationSummary;
  expect(summary.retries).toBeGreaterThan(0);
  expect(summary.notSent).toEqual({ events: 0, sessions: 0 });
  expect(summary.sent).toEqual(summary.generated);

  await system.drained(90_000);
  expect(await rows()).toEqual(summary.sent);
}, 120_000);
