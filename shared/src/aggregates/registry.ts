import type { z } from 'zod';
import type { TtlClass } from '../cache/ttl';
import { NO_PERIOD, PERIODS, type Period } from '../contracts/analytics-query';
import {
  cognitiveLoadSchema,
  dashboardSchema,
  interventionsSchema,
  missionsSummarySchema,
  objectivesSchema,
  patternsSchema,
  predictionsSchema,
  stressProfileSchema,
  struggleReductionSchema,
} from './aggregate-schemas';
import type { Computation } from './computation';
import { dashboard } from './dashboard';
import { objectivesMastery } from './objectives-mastery';
import { stressProfile } from './stress-profile';
import { struggleReduction } from './struggle-reduction';

/**
 * What an aggregate of SPEC section 5 is, in one record: the routes
 * (`GET /api/analytics/<name>`), the OpenAPI document, the stored rows, the cache keys and
 * the TTLs all follow from these. Adding an aggregate is its formula, its entry here, its
 * golden cases (and its docs).
 */
export interface AggregateDefinition<S extends z.ZodType = z.ZodType> {
  /** What it tells, one line (the OpenAPI document's summary). */
  summary: string;
  /** The TTL class its cache entries and aged-read refreshes follow (SPEC 6). */
  ttlClass: TtlClass;
  /** For an aggregate with a `period` (SPEC 4): its default. It is stored once per period; the others once, as `-`. */
  defaultPeriod?: Period;
  /** Its response data: what the formula returns and the API documents. */
  schema: S;
  /** Its formula, from the results shared by one computation; `period` is the stored row's (ignored without one). */
  compute(computation: Computation, period: Period): z.infer<S>;
}

/** Checks an entry against the definition while keeping its own schema type. */
const aggregate = <S extends z.ZodType>(definition: AggregateDefinition<S>) => definition;

/** The aggregates, by route name (SPEC 4, 5), in the order the API lists them. */
export const AGGREGATES = {
  'missions/summary': aggregate({
    summary: 'Missions started, completed and abandoned in a period, with rates, means and the current streak (SPEC 5.1)',
    ttlClass: 'missionSummaries',
    defaultPeriod: '30d',
    schema: missionsSummarySchema,
    compute: (c, period) => c.missionsIn(period),
  }),
  patterns: aggregate({
    summary: 'Study patterns of the last 90 days: by hour, session length and weekday (SPEC 5.2)',
    ttlClass: 'behavioralPatterns',
    schema: patternsSchema,
    compute: (c) => c.patterns,
  }),
  objectives: aggregate({
    summary: 'Mastery of each objective reviewed in the last 90 days, and the weaknesses (SPEC 5.3)',
    ttlClass: 'learningObjectives',
    schema: objectivesSchema,
    compute: (c) => objectivesMastery(c.digest.objectives),
  }),
  'cognitive-load/current': aggregate({
    summary: 'Cognitive load now, its 14-day history and the burnout risk (SPEC 5.4)',
    ttlClass: 'cognitiveLoad',
    schema: cognitiveLoadSchema,
    compute: (c) => c.load,
  }),
  'stress-profile': aggregate({
    summary: 'Self-reported stress of the last 30 days, its trend and triggers (SPEC 5.5)',
    ttlClass: 'cognitiveLoad',
    schema: stressProfileSchema,
    compute: (c) => stressProfile(c.digest.events, c.digest.objectives, c.load, c.now),
  }),
  predictions: aggregate({
    summary: 'The objectives a student is likely to struggle with (SPEC 5.6)',
    ttlClass: 'strugglePredictions',
    schema: predictionsSchema,
    compute: (c) => c.predictions,
  }),
  interventions: aggregate({
    summary: 'Recommended interventions, by priority (SPEC 5.7)',
    ttlClass: 'recommendations',
    schema: interventionsSchema,
    compute: (c) => c.advice,
  }),
  'struggle-reduction': aggregate({
    summary: 'How the share of incorrect reviews changed around the interventions applied in a period (SPEC 5.8)',
    ttlClass: 'performanceMetrics',
    defaultPeriod: '90d',
    schema: struggleReductionSchema,
    compute: (c, period) => struggleReduction(c.digest.events, c.digest.interventionEffects, period, c.now),
  }),
  'behavioral-insights/dashboard': aggregate({
    summary: 'The dashboard: missions of 7 days, study hours, load, the first predictions and interventions, minutes per day, engagement, totals (SPEC 5.9)',
    ttlClass: 'analyticsUserData',
    schema: dashboardSchema,
    compute: (c) =>
      dashboard(c.digest, {
        missions7d: c.missionsIn('7d'),
        patterns: c.patterns,
        load: c.load,
        predictions: c.predictions,
        interventions: c.advice,
      }),
  }),
} as const satisfies Record<string, AggregateDefinition>;

export type AggregateName = keyof typeof AGGREGATES;
export const AGGREGATE_NAMES = Object.keys(AGGREGATES) as readonly AggregateName[];

/** The aggregate `POST /api/analytics/predictions/generate` answers with. */
export const GENERATED_AGGREGATE: AggregateName = 'predictions';
/** The aggregate with the user's totals (the freshness probes of the bench read its `totals.events`). */
export const DASHBOARD_AGGREGATE: AggregateName = 'behavioral-insights/dashboard';

export function isAggregateName(name: string): name is AggregateName {
  return Object.hasOwn(AGGREGATES, name);
}

/** The period key of a row: the asked period (or the default) for an aggregate with a period, `-` otherwise. */
export function periodKeyFor(name: AggregateName, period?: Period): string {
  const fallback = (AGGREGATES[name] as AggregateDefinition).defaultPeriod;
  return fallback ? (period ?? fallback) : NO_PERIOD;
}

/** Every (aggregate, period) row a recompute stores. */
export const STORED_AGGREGATE_KEYS: { aggregate: AggregateName; period: string }[] = AGGREGATE_NAMES.flatMap((name) =>
  (AGGREGATES[name] as AggregateDefinition).defaultPeriod ? PERIODS.map((period) => ({ aggregate: name, period })) : [{ aggregate: name, period: NO_PERIOD }],
);
