/**
 * The TTL classes of SPEC 6 (the origin report's table): each aggregate is cached under one
 * (aggregates/registry.ts says which), and its entries and aged-read refreshes follow its
 * TTL. The names are also CACHE_TTL_OVERRIDES' keys and the `query_type` label of metrics.
 */
export type TtlClass =
  | 'analyticsUserData'
  | 'behavioralPatterns'
  | 'missionSummaries'
  | 'performanceMetrics'
  | 'cognitiveLoad'
  | 'learningObjectives'
  | 'strugglePredictions'
  | 'recommendations';

/** The TTL of each class, in milliseconds. */
export const DEFAULT_TTL_MS: Record<TtlClass, number> = {
  analyticsUserData: 5 * 60_000,
  behavioralPatterns: 10 * 60_000,
  missionSummaries: 15 * 60_000,
  performanceMetrics: 5 * 60_000,
  cognitiveLoad: 2 * 60_000,
  learningObjectives: 30 * 60_000,
  strugglePredictions: 5 * 60_000,
  recommendations: 10 * 60_000,
};

export const TTL_CLASSES = Object.keys(DEFAULT_TTL_MS) as TtlClass[];

/** Every class's TTL with `overrides` (CACHE_TTL_OVERRIDES) applied: the one place they are merged. */
export function ttlTable(overrides: Partial<Record<TtlClass, number>> = {}): Record<TtlClass, number> {
  return { ...DEFAULT_TTL_MS, ...overrides };
}

/** Up to +10 %, so entries written together (a recompute writes all of a user's) do not expire together. */
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
