import { seededRandom, zipfSampler } from './zipf';

describe('seededRandom', () => {
  it('is reproducible for a seed and stays in [0, 1)', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const values = Array.from({ length: 1_000 }, () => a());
    expect(values).toEqual(Array.from({ length: 1_000 }, () => b()));
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
  });
});

describe('zipfSampler', () => {
  it('draws ranks in range with frequencies ∝ 1 / rank^s', () => {
    const draw = zipfSampler(100, 1, seededRandom(1));
    const counts = new Array<number>(100).fill(0);
    const n = 200_000;
    for (let i = 0; i < n; i += 1) counts[draw()]! += 1;
    const harmonic = Array.from({ length: 100 }, (_, k) => 1 / (k + 1)).reduce((a, b) => a + b, 0);
    // Rank 0 expects n / H(100) ≈ 38,590 draws; rank 1 half of that.
    expect(counts[0]! / n).toBeCloseTo(1 / harmonic, 2);
    expect(counts[1]! / counts[0]!).toBeCloseTo(0.5, 1);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(n);
  });

  it('is uniform for s = 0', () => {
    const draw = zipfSampler(4, 0, seededRandom(3));
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i += 1) counts[draw()]! += 1;
    for (const c of counts) expect(c / 40_000).toBeCloseTo(0.25, 1);
  });

  it('refuses an empty range', () => {
    expect(() => zipfSampler(0, 1, Math.random)).toThrow(RangeError);
  });
});
