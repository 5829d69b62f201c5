import { parseRecomputeFlags } from './recompute-command';
import { parseSimulateFlags } from '../simulation/simulate-command';
import { HelpRequested, UsageError } from './cli-flags';

describe('command-line flags', () => {
  it.each([
    [['--all'], { userIds: 'all', verify: false, buildRollups: false, concurrency: 4 }],
    [['--', '--user', 'u1', '--user', 'u2', '--user', 'u1', '--verify'], { userIds: ['u1', 'u2'], verify: true, buildRollups: false, concurrency: 4 }],
    [['--all', '--concurrency', '16'], { userIds: 'all', verify: false, buildRollups: false, concurrency: 16 }],
    [['--build-rollups'], { userIds: 'without-rollups', verify: false, buildRollups: true, concurrency: 4 }],
    [['--build-rollups', '--all'], { userIds: 'all', verify: false, buildRollups: true, concurrency: 4 }],
    [['--build-rollups', '--user', 'u1'], { userIds: ['u1'], verify: false, buildRollups: true, concurrency: 4 }],
  ])('recompute %j', (args, expected) => {
    expect(parseRecomputeFlags(args)).toEqual(expected);
  });

  it.each([
    [[], 'say which users: --user ID or --all'],
    [['--all', '--user', 'x'], 'give either --user or --all, not both'],
    [['--build-rollups', '--verify'], '--build-rollups changes the rollups; --verify changes nothing: give one of them'],
    [['--user', 'no/slash'], '--user "no/slash" is not a user id (1-64 characters of A-Z a-z 0-9 _ -)'],
    [['--all', '--concurrency', '0'], '--concurrency must be between 1 and 64 (got 0)'],
    [['--all', 'extra'], "Unexpected argument 'extra'"],
    [['--user'], "Option '--user <value>' argument missing"],
  ])('recompute %j is refused: %s', (args, message) => {
    expect(() => parseRecomputeFlags(args)).toThrow(new UsageError(message));
  });

  it('simulate defaults, and the flags pnpm simulate documents', () => {
    // No --via: chosen at start from what pnpm start runs (simulation/target.ts).
    expect(parseSimulateFlags([])).toMatchObject({ users: 200, rate: 500, durationMs: 60_000, via: null, url: null, key: null, seed: 1, batchSize: 200 });
    expect(parseSimulateFlags(['--key', 'k'])).toMatchObject({ via: null, key: 'k' });
    expect(parseSimulateFlags(['--users', '200', '--rate', '500', '--duration', '0.5', '--via', 'http', '--url', 'http://localhost:3000/', '--key', 'k', '--seed', '9'])).toMatchObject({
      users: 200,
      rate: 500,
      durationMs: 500,
      via: 'http',
      url: 'http://localhost:3000',
      key: 'k',
      seed: 9,
    });
  });

  it.each([
    [['--rate=-5'], '--rate must be a whole number (got "-5")'],
    [['--rate', '-5'], "Option '--rate' argument is ambiguous"],
    [['--duration', 'soon'], '--duration must be a number (got "soon")'],
    [['--via', 'smoke'], '--via must be one of publisher, http (got "smoke")'],
    [['--via', 'publisher', '--key', 'k'], '--url and --key go with --via http'],
    [['--via', 'http', '--url', 'ftp://x'], '--url must be an http:// or https:// URL (got "ftp://x")'],
    [['--batch', '5000'], '--batch must be between 1 and 1000 (got 5000)'],
  ])('simulate %j is refused: %s', (args, message) => {
    expect(() => parseSimulateFlags(args)).toThrow(new UsageError(message));
  });

  it('--help asks for the usage', () => {
    expect(() => parseSimulateFlags(['--help'])).toThrow(HelpRequested);
    expect(() => parseRecomputeFlags(['-h'])).toThrow(HelpRequested);
  });
});
