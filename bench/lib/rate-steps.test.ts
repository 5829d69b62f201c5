import { findMaxSustained, stepFailure, stepRates, type RateStep } from './rate-steps';

const step = (eventsPerSec: number, overrides: Partial<RateStep> = {}): RateStep => ({
  eventsPerSec,
  achievedEventsPerSec: eventsPerSec,
  p99Ms: 400,
  backlogAtEnd: 0,
  notVisible: 0,
  ...overrides,
});

describe('stepRates', () => {
  it('goes 500, then 1, 1.5, 2, 3, 4, 6, 8 … thousand, up to the maximum', () => {
    expect(stepRates(2_000)).toEqual([500, 1_000, 1_500, 2_000]);
    expect(stepRates(8_000)).toEqual([500, 1_000, 1_500, 2_000, 3_000, 4_000, 6_000, 8_000]);
    expect(stepRates(500)).toEqual([500]);
  });
});

describe('stepFailure', () => {
  it('holds at p99 ≤ 1 s with every probe visible and the rate reached', () => {
    expect(stepFailure(step(1_000, { p99Ms: 1_000 }))).toBeNull();
  });

  it.each([
    ['a slow p99', { p99Ms: 1_001 }],
    ['an invisible probe', { notVisible: 1 }],
    ['a publisher that fell short', { achievedEventsPerSec: 900 }],
    ['no probe at all', { p99Ms: Number.NaN }],
  ])('fails on %s', (_, overrides) => {
    expect(stepFailure(step(1_000, overrides))).not.toBeNull();
  });
});

describe('findMaxSustained', () => {
  it('stops at the first step that fails and reports the last one that held', async () => {
    const run = jest.fn(async (rate: number) => step(rate, { p99Ms: rate >= 1_500 ? 2_000 : 300 }));
    const found = await findMaxSustained([500, 1_000, 1_500, 2_000], run);
    expect(found.maxSustainedEventsPerSec).toBe(1_000);
    expect(found.steps.map((s) => s.eventsPerSec)).toEqual([500, 1_000, 1_500]);
    expect(found.stoppedBy).toMatch(/p99/);
    expect(run).toHaveBeenCalledTimes(3);
  });

  it('is 0 when the first step fails and the top rate when every step holds', async () => {
    expect((await findMaxSustained([500, 1_000], async (rate) => step(rate, { notVisible: 2 }))).maxSustainedEventsPerSec).toBe(0);
    expect((await findMaxSustained([500, 1_000], async (rate) => step(rate))).maxSustainedEventsPerSec).toBe(1_000);
  });
});
