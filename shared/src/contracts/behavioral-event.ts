import { z } from 'zod';
import { idSchema } from './ids';
import { MAX_FUTURE_MS, instantSchema } from './timestamps';

export const INTERVENTION_TYPES = [
  'SPACED_REPETITION_BOOST',
  'PREREQUISITE_REVIEW',
  'BREAK_SCHEDULING',
  'REDUCE_SESSION_LENGTH',
  'SCHEDULE_SHIFT',
] as const;
export type InterventionType = (typeof INTERVENTION_TYPES)[number];

export const CONTENT_TYPES = ['article', 'video', 'card', 'question'] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];

export const MAX_PROPERTIES_BYTES = 8 * 1024;

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);
const nonNegative = z.number().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * SPEC section 3: the behavioral events the study app publishes, by type, each with its
 * properties. The one list of the types: EVENT_TYPES and the event schema follow from it.
 * Strict objects: an unknown property is far more often a typo than a feature.
 */
export const EVENT_PROPERTIES = {
  card_reviewed: z.strictObject({
    objectiveId: idSchema,
    correct: z.boolean(),
    responseMs: int(0, 3_600_000),
    confidence: int(1, 5).optional(),
    sessionId: idSchema.optional(),
  }),
  mission_started: z.strictObject({
    missionId: idSchema,
    objectiveIds: z.array(idSchema).max(500).optional(),
    estimatedMinutes: nonNegative.optional(),
  }),
  mission_completed: z.strictObject({ missionId: idSchema, successScore: z.number().min(0).max(1), durationMs: int(0) }),
  mission_abandoned: z.strictObject({ missionId: idSchema, durationMs: int(0).optional() }),
  self_report: z.strictObject({ stress: int(1, 5), energy: int(1, 5).optional() }),
  intervention_applied: z.strictObject({ interventionType: z.enum(INTERVENTION_TYPES), objectiveId: idSchema.optional() }),
  content_viewed: z.strictObject({ contentId: idSchema, contentType: z.enum(CONTENT_TYPES), durationMs: int(0) }),
  search_performed: z.strictObject({ resultCount: int(0), queryLength: int(0) }),
} as const;

export type EventType = keyof typeof EVENT_PROPERTIES;
export const EVENT_TYPES = Object.keys(EVENT_PROPERTIES) as EventType[];

function eventOf<T extends EventType, P extends (typeof EVENT_PROPERTIES)[T]>(type: T, properties: P, now: () => number) {
  return z.strictObject({
    eventId: idSchema,
    userId: idSchema,
    type: z.literal(type),
    occurredAt: instantSchema(now, MAX_FUTURE_MS),
    properties: (properties as unknown as z.ZodType<z.output<P>>).refine(
      (value: object) => Buffer.byteLength(JSON.stringify(value)) <= MAX_PROPERTIES_BYTES,
      `must be at most ${MAX_PROPERTIES_BYTES} bytes as JSON`,
    ),
  });
}

// Distributive: one schema type per event type, so BehavioralEvent stays a union discriminated by `type`.
type EventSchema<T extends EventType> = T extends EventType ? ReturnType<typeof eventOf<T, (typeof EVENT_PROPERTIES)[T]>> : never;

/** The event schema with an injectable clock (the 5-minute future limit depends on it): one member per type of EVENT_PROPERTIES. */
export function behavioralEventSchemaAt(now: () => number) {
  const members = EVENT_TYPES.map((type) => eventOf(type, EVENT_PROPERTIES[type], now)) as unknown as [EventSchema<EventType>, ...EventSchema<EventType>[]];
  return z.discriminatedUnion('type', members);
}

export const behavioralEventSchema = behavioralEventSchemaAt(() => Date.now());
export type BehavioralEvent = z.infer<typeof behavioralEventSchema>;
