import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * `pnpm test:unit` is the tests of pure logic: they must pass on a machine where nothing
 * listens (a network namespace with only loopback up), so a unit test that reaches for Redis
 * or PostgreSQL fails here rather than quietly turning into an integration test.
 */
const ROOT = join(__dirname, '..', '..');

it('pnpm test:unit passes in a network namespace with nothing listening, with at least 100 tests', () => {
  const run = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && node_modules/.bin/jest --selectProjects unit --silent'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  expect({ status: run.status, stderrTail: run.status === 0 ? '' : run.stderr.slice(-2_000) }).toEqual({ status: 0, stderrTail: '' });
  // The closing line of test/support/summary-reporter.js.
  const [, passed, failed] = /^tests: (\d+) passed, (\d+) failed/m.exec(run.stdout) ?? [];
  expect(Number(failed)).toBe(0);
  expect(Number(passed)).toBeGreaterThanOrEqual(100);
}, 150_000);
