/** A Zipf sampler for skewed workloads (a few hot users, a long tail), over the simulator's seeded randomness. */
import { seededRandom, type Random } from '../../scripts/simulation/study-app';

export { seededRandom, type Random };

/**
 * Draws ranks 0..n-1 with P(rank k) ∝ 1 / (k + 1)^s, by binary search in the precomputed
 * cumulative distribution (O(n) memory once, O(log n) per draw).
 */
export function zipfSampler(n: number, s: number, random: Random): () => number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError('zipfSampler needs n ≥ 1');
  if (!(s >= 0)) throw new RangeError('zipfSampler needs s ≥ 0');
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k += 1) {
    total += 1 / (k + 1) ** s;
    cumulative[k] = total;
  }
  return () => {
    const target = random() * total;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (cumulative[mid]! < target) low = mid + 1;
      else high = mid;
    }
    return low;
  };
}
