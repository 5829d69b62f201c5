import { summarize } from './stats';

/**
 * Throughput and median cost of a tiny async operation. Sub-microsecond calls cannot be
 * timed one by one (the clock read costs about as much), so they run in batches and each
 * batch's time / size is one sample; the p50 is the median of those per-call costs.
 */
export async function measureOps(op: () => unknown, options: { durationMs: number; batch: number; warmupMs?: number }): Promise<{ opsPerSec: number; p50Ns: number }> {
  const run = async (durationMs: number, record: boolean) => {
    const samples: number[] = [];
    let ops = 0;
    const start = process.hrtime.bigint();
    const end = start + BigInt(durationMs) * 1_000_000n;
    for (;;) {
      const batchStart = process.hrtime.bigint();
      for (let i = 0; i < options.batch; i += 1) await op();
      const now = process.hrtime.bigint();
      ops += options.batch;
      if (record) samples.push(Number(now - batchStart) / options.batch);
      if (now >= end) return { samples, ops, ns: Number(now - start) };
    }
  };
  await run(options.warmupMs ?? 300, false);
  const { samples, ops, ns } = await run(options.durationMs, true);
  return { opsPerSec: (ops / ns) * 1e9, p50Ns: summarize(samples).p50 };
}
