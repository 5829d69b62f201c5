/**
 * Latency statistics. Percentiles interpolate linearly between the two nearest ranks
 * (the "R-7" rule of numpy and spreadsheets), so p50 of an even count is the mean of the
 * middle two and a single sample is every percentile.
 */
export function percentile(sortedAscending: readonly number[], p: number): number {
  if (sortedAscending.length === 0) return Number.NaN;
  if (p <= 0) return sortedAscending[0]!;
  if (p >= 100) return sortedAscending[sortedAscending.length - 1]!;
  const rank = (p / 100) * (sortedAscending.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const lowValue = sortedAscending[low]!;
  return lowValue + (sortedAscending[high]! - lowValue) * (rank - low);
}

export interface Summary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.length === 0 ? Number.NaN : sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return {
    count: sorted.length,
    min: sorted[0] ?? Number.NaN,
    mean,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/** Rounds for the JSON: enough digits to compare runs, no float noise. */
/** The median of some samples (summarize's p50). */
export const median = (samples: readonly number[]) => summarize(samples).p50;

export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Milliseconds elapsed since a `process.hrtime.bigint()` reading. */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * How fast `time` grows with `size`, as the exponent k of time ∝ size^k between the two
 * LARGEST sizes (where fixed per-call costs no longer flatter the curve): 1 is linear,
 * below 1 better than linear.
 */
export function growthExponent(points: readonly { size: number; ms: number }[]): number {
  const valid = points.filter((p) => p.size > 0 && p.ms > 0).sort((a, b) => a.size - b.size);
  if (valid.length < 2) return Number.NaN;
  const first = valid[valid.length - 2]!;
  const last = valid[valid.length - 1]!;
  return Math.log(last.ms / first.ms) / Math.log(last.size / first.size);
}
