import { GENERATED_AGGREGATE } from '@shared/aggregates/registry';
import type { Queue } from 'bullmq';
import { AppError, DependencyUnavailableError } from '@shared/errors/errors';
import { recomputeNow, RecomputeTimeoutError } from '@shared/recompute/recompute-queue';
import type { AnalyticsReadService, AnalyticsResult } from './analytics-read-service';

/**
 * POST /api/analytics/predictions/generate: a priority recompute through the queue (ahead
 * of the debounce), waited for up to 10 s, then the fresh predictions (served 'compute').
 */
export class PredictionsGenerator {
  constructor(private readonly deps: { recomputeQueue: Queue; reads: AnalyticsReadService; timeoutMs?: number }) {}

  async generate(userId: string, requestId: string): Promise<AnalyticsResult> {
    try {
      await recomputeNow(this.deps.recomputeQueue, { userId, requestId }, this.deps.timeoutMs ?? 10_000);
    } catch (error) {
      if (error instanceof RecomputeTimeoutError) {
        throw new AppError(504, 'E_TIMEOUT', 'the recompute did not finish within 10 s; the result will appear shortly');
      }
      throw new DependencyUnavailableError('redis', 'the recompute queue is unavailable; retry later', 5, error);
    }
    const result = await this.deps.reads.read(GENERATED_AGGREGATE, { userId });
    return { ...result, tier: 'compute' };
  }
}
