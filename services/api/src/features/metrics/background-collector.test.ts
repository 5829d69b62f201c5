import { startBackgroundCollector } from './background-collector';

/** The collector's schedule, on Jest's fake clock: one run at start, then one per interval after each run ends. */
beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

/** A collection that takes `ms` of (fake) time, counting starts and the most ever running at once. */
function slowCollection(ms: number) {
  const stats = { started: 0, running: 0, mostAtOnce: 0 };
  const collect = async () => {
    stats.started += 1;
    stats.running += 1;
    stats.mostAtOnce = Math.max(stats.mostAtOnce, stats.running);
    await new Promise((resolve) => setTimeout(resolve, ms));
    stats.running -= 1;
  };
  return { stats, collect };
}

it('collects at once, then once per interval after the previous run, never two at a time', async () => {
  const { stats, collect } = slowCollection(300);
  const collector = startBackgroundCollector(collect, { intervalMs: 1_000 });
  expect(stats.started).toBe(1);
  await jest.advanceTimersByTimeAsync(300);
  await collector.firstCollection;
  // 10 s: each cycle is 300 ms of collection + 1 s of interval.
  await jest.advanceTimersByTimeAsync(10_000);
  expect(stats.started).toBe(8);
  expect(stats.mostAtOnce).toBe(1);
  await collector.stop();
});

it('stops: no run after stop(), which waits for the one under way', async () => {
  const { stats, collect } = slowCollection(300);
  const collector = startBackgroundCollector(collect, { intervalMs: 1_000 });
  const stopped = collector.stop();
  let done = false;
  void stopped.then(() => (done = true));
  await jest.advanceTimersByTimeAsync(100);
  expect(done).toBe(false);
  await jest.advanceTimersByTimeAsync(200);
  expect(done).toBe(true);
  await jest.advanceTimersByTimeAsync(10_000);
  expect(stats.started).toBe(1);
});

it('stops by itself once `finished` holds, and survives a failing collection', async () => {
  let closed = false;
  let runs = 0;
  const collector = startBackgroundCollector(
    async () => {
      runs += 1;
      if (runs === 2) throw new Error('Redis went away');
    },
    { intervalMs: 1_000, finished: () => closed },
  );
  await jest.advanceTimersByTimeAsync(2_500);
  expect(runs).toBe(3);
  closed = true;
  await jest.advanceTimersByTimeAsync(5_000);
  expect(runs).toBe(3);
  await collector.stop();
});
