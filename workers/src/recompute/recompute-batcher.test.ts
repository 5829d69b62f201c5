import { RecomputeFailure, type RecomputeOutcome, type RecomputeResults } from '@shared/recompute/recompute-users';
import { RecomputeBatcher, type RecomputeBatcherOptions } from './recompute-batcher';

/** A recompute that records its batches and answers each user with `rows` (or fails the users in `failing`). */
function recorder(rows: Record<string, number> = {}, failing: string[] = []) {
  const batches: string[][] = [];
  const release: (() => void)[] = [];
  let hold = false;
  const run = async (userIds: string[]): Promise<RecomputeResults> => {
    batches.push(userIds);
    if (hold) await new Promise<void>((resolve) => release.push(resolve));
    return new Map(
      userIds.map((id) => [id, failing.includes(id) ? new RecomputeFailure(new Error(`${id} broke`)) : ({ stored: true, cached: true, rows: rows[id] ?? 100 } as RecomputeOutcome)]),
    );
  };
  return {
    batches,
    run,
    holdBatches: () => (hold = true),
    releaseAll: () => {
      hold = false;
      release.splice(0).forEach((r) => r());
    },
  };
}

const options = (run: RecomputeBatcherOptions['run'], more: Partial<RecomputeBatcherOptions> = {}): RecomputeBatcherOptions => ({
  run,
  maxUsers: 4,
  maxRows: 1_000,
  maxInFlight: 1,
  maxWaitMs: 1,
  ...more,
});

it('recomputes the users asked for at once in one batch, each job answered with its own user', async () => {
  const r = recorder({ a: 10, b: 20, c: 30 });
  const batcher = new RecomputeBatcher(options(r.run));
  const outcomes = await Promise.all(['a', 'b', 'c'].map((u) => batcher.recompute(u)));
  expect(r.batches).toEqual([['a', 'b', 'c']]);
  expect(outcomes.map((o) => o.rows)).toEqual([10, 20, 30]);
});

it('computes a user asked for twice once, and answers both jobs', async () => {
  const r = recorder();
  const batcher = new RecomputeBatcher(options(r.run));
  const both = await Promise.all([batcher.recompute('a'), batcher.recompute('a'), batcher.recompute('b')]);
  expect(r.batches).toEqual([['a', 'b']]);
  expect(both).toHaveLength(3);
});

it('fails only the jobs of the user that failed', async () => {
  const r = recorder({}, ['bad']);
  const batcher = new RecomputeBatcher(options(r.run));
  const settled = await Promise.allSettled(['a', 'bad', 'b'].map((u) => batcher.recompute(u)));
  expect(settled.map((s) => (s.status === 'fulfilled' ? 'ok' : (s.reason as Error).message))).toEqual(['ok', 'bad broke', 'ok']);
});

it('rejects every job of a batch whose run throws, and goes on with the next batch', async () => {
  let calls = 0;
  const batcher = new RecomputeBatcher(
    options(async (ids) => {
      calls += 1;
      if (calls === 1) throw new Error('database gone');
      return new Map(ids.map((id) => [id, { stored: true, cached: true, rows: 1 } as RecomputeOutcome]));
    }),
  );
  await expect(Promise.all([batcher.recompute('a'), batcher.recompute('b')])).rejects.toThrow('database gone');
  await expect(batcher.recompute('a')).resolves.toMatchObject({ stored: true });
});

it('bounds a batch by users, and grows batches while others run', async () => {
  const r = recorder();
  r.holdBatches();
  const batcher = new RecomputeBatcher(options(r.run, { maxUsers: 3 }));
  const first = batcher.recompute('u0');
  await new Promise((resolve) => setTimeout(resolve, 10));
  // While the first batch runs (one in flight at most), seven more users arrive.
  const rest = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7'].map((u) => batcher.recompute(u));
  expect(batcher.waiting).toBe(7);
  r.releaseAll();
  await first;
  await new Promise((resolve) => setTimeout(resolve, 10));
  r.releaseAll();
  await new Promise((resolve) => setTimeout(resolve, 10));
  r.releaseAll();
  await Promise.all(rest);
  expect(r.batches).toEqual([['u0'], ['u1', 'u2', 'u3'], ['u4', 'u5', 'u6'], ['u7']]);
});

it('runs a user known to be heavy in a batch of its own, without holding up light users behind it', async () => {
  const r = recorder({ heavy: 50_000 });
  const batcher = new RecomputeBatcher(options(r.run, { maxUsers: 10, maxRows: 1_000, maxInFlight: 2 }));
  await batcher.recompute('heavy'); // learns its size
  r.batches.length = 0;
  await Promise.all(['a', 'heavy', 'b', 'c'].map((u) => batcher.recompute(u)));
  expect(r.batches).toEqual([['a', 'b', 'c'], ['heavy']]);
});

it('flush() runs what is pending and waits for it', async () => {
  const r = recorder();
  const batcher = new RecomputeBatcher(options(r.run, { maxWaitMs: 60_000 }));
  const pending = batcher.recompute('a');
  await batcher.flush();
  await expect(pending).resolves.toMatchObject({ stored: true });
  expect(batcher.waiting).toBe(0);
});
