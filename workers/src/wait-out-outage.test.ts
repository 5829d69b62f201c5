import { outageRetryDelayMs } from './wait-out-outage';

describe('outageRetryDelayMs', () => {
  const middle = () => 0.5; // no jitter

  it('starts at one second for a young job', () => {
    expect(outageRetryDelayMs(0, middle)).toBe(1_000);
    expect(outageRetryDelayMs(3_000, middle)).toBe(1_000);
  });

  it('grows with the age of the job, to a cap of 30 s', () => {
    expect(outageRetryDelayMs(20_000, middle)).toBe(5_000);
    expect(outageRetryDelayMs(120_000, middle)).toBe(30_000);
    expect(outageRetryDelayMs(86_400_000, middle)).toBe(30_000);
  });

  it('spreads retries by ±25 %', () => {
    expect(outageRetryDelayMs(20_000, () => 0)).toBe(3_750);
    expect(outageRetryDelayMs(20_000, () => 0.999999)).toBe(6_250);
  });
});
