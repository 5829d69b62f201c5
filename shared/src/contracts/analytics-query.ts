import { z } from 'zod';
import { idSchema } from './ids';

/** The cache TTL class of each aggregate (SPEC 6, the origin report's table). */
export type QueryType =
  | 'analyticsUserData'
  | 'behavioralPatterns'
  | 'missionSummaries'
  | 'performanceMetrics'
  | 'cognitiveLoad'
  | 'learningObjectives'
  | 'strugglePredictions'
  | 'recommendations';

/**
 * The aggregates of SPEC section 5, by their route names under /api/analytics/, each with
 * the cache TTL class it is kept under (SPEC 6). The one list of the nine names: routes,
 * stored rows and cache keys all come from it, in this order.
 */
export const QUERY_TYPE_BY_AGGREGATE = {
  'missions/summary': 'missionSummaries',
  patterns: 'behavioralPatterns',
  objectives: 'learningObjectives',
  'cognitive-load/current': 'cognitiveLoad',
  'stress-profile': 'cognitiveLoad',
  predictions: 'strugglePredictions',
  interventions: 'recommendations',
  'struggle-reduction': 'performanceMetrics',
  'behavioral-insights/dashboard': 'analyticsUserData',
} as const satisfies Record<string, QueryType>;
export type AggregateName = keyof typeof QUERY_TYPE_BY_AGGREGATE;
export const AGGREGATE_NAMES = Object.keys(QUERY_TYPE_BY_AGGREGATE) as readonly AggregateName[];

/** The `period` values of SPEC 4. */
export const PERIODS = ['7d', '30d', '90d', 'all'] as const;
export type Period = (typeof PERIODS)[number];

/** Aggregates with a period and their default; the others ignore `period` (stored as '-'). */
export const DEFAULT_PERIOD: Partial<Record<AggregateName, Period>> = {
  'missions/summary': '30d',
  'struggle-reduction': '90d',
};
export const NO_PERIOD = '-';

export function periodKeyFor(name: AggregateName, period?: Period): string {
  const fallback = DEFAULT_PERIOD[name];
  return fallback ? (period ?? fallback) : NO_PERIOD;
}

/** Every (aggregate, period) row a recompute stores. */
export const STORED_AGGREGATE_KEYS: { aggregate: AggregateName; period: string }[] = AGGREGATE_NAMES.flatMap((aggregate) =>
  DEFAULT_PERIOD[aggregate] ? PERIODS.map((period) => ({ aggregate, period })) : [{ aggregate, period: NO_PERIOD }],
);

export const analyticsQuerySchema = z.strictObject({ userId: idSchema, period: z.enum(PERIODS).optional() });
export type AnalyticsQuery = z.infer<typeof analyticsQuerySchema>;
export const generatePredictionsBodySchema = z.strictObject({ userId: idSchema });

// The same requests as they arrive over HTTP (SPEC 4.1): a user token may leave `userId` out
// and then reads its own user, so the route fills it in before the read.
export const analyticsRequestQuerySchema = analyticsQuerySchema.partial({ userId: true });
export const generatePredictionsRequestBodySchema = generatePredictionsBodySchema.partial({ userId: true });
