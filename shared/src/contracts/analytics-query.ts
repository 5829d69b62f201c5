import { z } from 'zod';
import { idSchema } from './ids';

/** The `period` values of SPEC 4. */
export const PERIODS = ['7d', '30d', '90d', 'all'] as const;
export type Period = (typeof PERIODS)[number];

/** The period key of the rows of an aggregate without one (aggregates/registry.ts says which have one). */
export const NO_PERIOD = '-';

export const analyticsQuerySchema = z.strictObject({ userId: idSchema, period: z.enum(PERIODS).optional() });
export type AnalyticsQuery = z.infer<typeof analyticsQuerySchema>;
export const generatePredictionsBodySchema = z.strictObject({ userId: idSchema });

// The same requests as they arrive over HTTP (SPEC 4.1): a user token may leave `userId` out
// and then reads its own user, so the route fills it in before the read.
export const analyticsRequestQuerySchema = analyticsQuerySchema.partial({ userId: true });
export const generatePredictionsRequestBodySchema = generatePredictionsBodySchema.partial({ userId: true });
