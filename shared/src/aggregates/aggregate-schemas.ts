import { z } from 'zod';
import { INTERVENTION_TYPES } from '../contracts/behavioral-event';

/**
 * The response data of every aggregate (SPEC section 5). The formulas return these types,
 * the API documents them (OpenAPI 3.1 via z.toJSONSchema) and a test parses real output
 * with them, so code, stored rows and documentation cannot drift apart.
 */
const rate = z.number().min(0).max(1).nullable();
const isoInstant = z.string().describe('ISO-8601 instant, UTC');
const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/).describe('UTC day, YYYY-MM-DD');

export const LOAD_LEVELS = ['LOW', 'MODERATE', 'HIGH', 'CRITICAL'] as const;
export const MASTERY_LEVELS = ['MASTERED', 'PROFICIENT', 'DEVELOPING', 'STRUGGLING'] as const;
export const RISK_LEVELS = ['HIGH', 'MEDIUM', 'LOW'] as const;
export const STRESS_TRENDS = ['RISING', 'FALLING', 'STABLE', 'INSUFFICIENT_DATA'] as const;

export const missionsSummarySchema = z.object({
  period: z.enum(['7d', '30d', '90d', 'all']),
  started: z.number().int(),
  completed: z.number().int(),
  abandoned: z.number().int(),
  completionRate: rate,
  avgSuccessScore: z.number().nullable(),
  avgDurationMinutes: z.number().nullable(),
  currentStreakDays: z.number().int(),
});

const sessionsAccuracy = z.object({ sessions: z.number().int(), accuracy: rate });
export const patternsSchema = z.object({
  sessionsAnalyzed: z.number().int(),
  byHourOfDay: z.array(z.object({ hour: z.number().int(), sessions: z.number().int(), accuracy: rate })).length(24),
  optimalStudyHours: z.array(z.number().int()).max(3),
  preferredSessionMinutes: z.number().nullable(),
  byDuration: z.object({ lt15: sessionsAccuracy, '15to30': sessionsAccuracy, '30to60': sessionsAccuracy, gte60: sessionsAccuracy }),
  byDayOfWeek: z.array(z.object({ day: z.number().int(), sessions: z.number().int(), minutes: z.number() })).length(7),
  confidence: z.number().min(0).max(1),
});

export const objectiveMasterySchema = z.object({
  objectiveId: z.string(),
  attempts: z.number().int(),
  correct: z.number().int(),
  accuracy: rate,
  recentAccuracy: rate,
  lastPracticedAt: isoInstant.nullable(),
  masteryLevel: z.enum(MASTERY_LEVELS),
});
export const objectivesSchema = z.object({ objectives: z.array(objectiveMasterySchema), weaknesses: z.array(objectiveMasterySchema) });

const loadHistorySchema = z.array(z.object({ day: isoDay, loadScore: z.number() }));
export const cognitiveLoadSchema = z.object({
  loadScore: z.number().min(0).max(100),
  level: z.enum(LOAD_LEVELS),
  components: z.object({ studyMinutes24h: z.number(), errorRate: z.number(), responseSlowdown: z.number(), stress: z.number() }),
  history: loadHistorySchema,
  burnoutRisk: z.boolean(),
});

export const stressProfileSchema = z.object({
  reports: z.number().int(),
  avgStress: z.number().nullable(),
  stressByHourOfDay: z.array(z.object({ hour: z.number().int(), reports: z.number().int(), avgStress: z.number().nullable() })).length(24),
  trend: z.enum(STRESS_TRENDS),
  trendDelta: z.number().nullable(),
  triggers: z.array(z.object({ objectiveId: z.string(), reviews: z.number().int(), accuracy: rate })).max(3),
  loadHistory: loadHistorySchema,
  burnoutRisk: z.boolean(),
});

export const predictionSchema = z.object({
  objectiveId: z.string(),
  recentAccuracy: z.number(),
  daysSinceLastPractice: z.number(),
  struggleProbability: z.number().min(0).max(1),
  riskLevel: z.enum(RISK_LEVELS),
});
export const predictionsSchema = z.object({
  predictions: z.array(predictionSchema).max(20),
  counts: z.object({ HIGH: z.number().int(), MEDIUM: z.number().int(), LOW: z.number().int() }),
  loadScore: z.number(),
});

export const interventionSchema = z.object({
  type: z.enum(INTERVENTION_TYPES),
  priority: z.number().int(),
  objectiveId: z.string().nullable(),
  reason: z.string(),
  suggestedHours: z.array(z.number().int()).nullable(),
});
export const interventionsSchema = z.object({ interventions: z.array(interventionSchema) });

const reductionSummary = z.object({ count: z.number().int(), before: rate, after: rate, reductionPercent: z.number().nullable() });
export const struggleReductionSchema = z.object({
  period: z.enum(['7d', '30d', '90d', 'all']),
  interventions: z.array(
    z.object({ eventId: z.string(), interventionType: z.string(), objectiveId: z.string(), appliedAt: isoInstant, before: z.number(), after: z.number() }),
  ),
  byType: z.object(Object.fromEntries(INTERVENTION_TYPES.map((t) => [t, reductionSummary])) as Record<(typeof INTERVENTION_TYPES)[number], typeof reductionSummary>),
  overall: reductionSummary,
});

export const dashboardSchema = z.object({
  missions: missionsSummarySchema,
  optimalStudyHours: z.array(z.number().int()),
  preferredSessionMinutes: z.number().nullable(),
  cognitiveLoad: z.object({ loadScore: z.number(), level: z.enum(LOAD_LEVELS), burnoutRisk: z.boolean() }),
  predictions: z.array(predictionSchema).max(3),
  interventions: z.array(interventionSchema).max(3),
  studyMinutesByDay: z.array(z.object({ day: isoDay, minutes: z.number() })).length(7),
  engagement: z.object({
    contentMinutesByType: z.object({ article: z.number(), video: z.number(), card: z.number(), question: z.number() }),
    searches: z.number().int(),
  }),
  totals: z.object({ sessions: z.number().int(), events: z.number().int(), lastActivityAt: isoInstant.nullable() }),
});

export type MissionsSummary = z.infer<typeof missionsSummarySchema>;
export type StudyPatterns = z.infer<typeof patternsSchema>;
export type ObjectiveMastery = z.infer<typeof objectiveMasterySchema>;
export type ObjectivesMastery = z.infer<typeof objectivesSchema>;
export type CognitiveLoad = z.infer<typeof cognitiveLoadSchema>;
export type LoadLevel = (typeof LOAD_LEVELS)[number];
export type StressProfile = z.infer<typeof stressProfileSchema>;
export type Prediction = z.infer<typeof predictionSchema>;
export type StrugglePredictions = z.infer<typeof predictionsSchema>;
export type Intervention = z.infer<typeof interventionSchema>;
export type Interventions = z.infer<typeof interventionsSchema>;
export type StruggleReduction = z.infer<typeof struggleReductionSchema>;
export type ReductionSummary = z.infer<typeof reductionSummary>;
export type Dashboard = z.infer<typeof dashboardSchema>;
