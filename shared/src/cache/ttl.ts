import type { QueryType } from '../contracts/analytics-query';

export type { QueryType };

/** TTL per query type (SPEC 6, the origin report's table), in milliseconds. */
export const DEFAULT_TTL_MS: Record<QueryType, number> = {
  analyticsUserData: 5 * 60_000,
  behavioralPatterns: 10 * 60_000,
  missionSummaries: 15 * 60_000,
  performanceMetrics: 5 * 60_000,
  cognitiveLoad: 2 * 60_000,
  learningObjectives: 30 * 60_000,
  strugglePredictions: 5 * 60_000,
  recommendations: 10 * 60_000,
};

export const QUERY_TYPES = Object.keys(DEFAULT_TTL_MS) as QueryType[];

/** Up to +10 %, so entries written together (a recompute writes 15) do not expire together. */
export function withJitter(ttlMs: number, random: () => number = Math.random): number {
  return Math.round(ttlMs * (1 + 0.1 * random()));
}

/** How long the grace lasts by default: an expired entry may still be served while one refresh runs. */
export const DEFAULT_GRACE_MS = 60_000;

/** When an entry written now expires, until when it may be served stale, and its Redis TTL. */
export function entryLifetime(ttlMs: number, graceMs: number, now = Date.now()) {
  const expiresAt = now + withJitter(ttlMs);
  return { expiresAt, staleUntil: expiresAt + graceMs, pxMs: expiresAt - now + graceMs };
}
