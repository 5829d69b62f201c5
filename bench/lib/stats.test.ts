import { growthExponent, median, percentile, summarize } from './stats';

describe('percentile', () => {
  it.each([
    [[1, 2, 3, 4], 50, 2.5],
    [[1, 2, 3, 4, 5], 50, 3],
    [[10], 99, 10],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9.1],
    [[5, 7], 0, 5],
    [[5, 7], 100, 7],
  ])('of %j at p%d is %d', (sorted, p, expected) => {
    expect(percentile(sorted, p)).toBeCloseTo(expected, 10);
  });

  it('is NaN for no samples', () => {
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('summarize', () => {
  it('sorts before taking percentiles and reports the extremes and the mean', () => {
    const summary = summarize([9, 1, 5, 3, 7]);
    expect(summary).toMatchObject({ count: 5, min: 1, max: 9, mean: 5, p50: 5 });
    expect(summary.p99).toBeCloseTo(8.92, 10);
  });
});

describe('growthExponent', () => {
  it('is 1 for linear growth and 2 for quadratic, between the two largest sizes', () => {
    expect(growthExponent([{ size: 100, ms: 50 }, { size: 1_000, ms: 10 }, { size: 10_000, ms: 100 }])).toBeCloseTo(1, 10);
    expect(growthExponent([{ size: 10, ms: 1 }, { size: 100, ms: 100 }])).toBeCloseTo(2, 10);
  });

  it('is NaN with fewer than two usable points', () => {
    expect(growthExponent([{ size: 10, ms: 1 }])).toBeNaN();
  });
});

describe('median', () => {
  it('is the middle sample whatever their order', () => {
    expect(median([9, 1, 5])).toBe(5);
    expect(median([7])).toBe(7);
  });
});
