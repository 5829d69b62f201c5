/** Deterministic randomness and a Zipf sampler for skewed workloads (a few hot users, a long tail). */
export type Random = () => number;

/** xorshift32: small, fast, reproducible for a seed. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4_294_967_296;
  };
}

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
