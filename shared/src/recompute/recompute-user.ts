import { RecomputeFailure, recomputeUsers, type RecomputeDeps, type RecomputeOutcome } from './recompute-users';

export type { RecomputeDeps, RecomputeOutcome };

/**
 * Rebuilds one user's aggregates from raw rows: load → compute → save → write-through, as
 * a batch of one. The same path serves `pnpm recompute` and the API's first read of a user.
 */
export async function recomputeUser(deps: RecomputeDeps, userId: string): Promise<RecomputeOutcome> {
  const outcome = (await recomputeUsers(deps, [userId])).get(userId)!;
  if (outcome instanceof RecomputeFailure) throw outcome.error;
  return outcome;
}
