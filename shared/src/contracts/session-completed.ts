import { z } from 'zod';
import { idSchema } from './ids';
import { MAX_FUTURE_MS, instantSchema } from './timestamps';

const MAX_SESSION_MS = 24 * 60 * 60_000;

/** SPEC section 3: a completed study session (queue `session-completed`, job id = sessionId). */
export function sessionCompletedSchemaAt(now: () => number) {
  return z
    .strictObject({
      sessionId: idSchema,
      userId: idSchema,
      startedAt: instantSchema(now, MAX_FUTURE_MS),
      endedAt: instantSchema(now, MAX_FUTURE_MS),
      cardsReviewed: z.number().int().min(0).max(1_000_000),
      correctCount: z.number().int().min(0).max(1_000_000),
      avgResponseMs: z.number().int().min(0).max(3_600_000).optional(),
      missionId: idSchema.optional(),
      objectiveIds: z.array(idSchema).max(500).optional(),
    })
    .superRefine((session, ctx) => {
      const length = Date.parse(session.endedAt) - Date.parse(session.startedAt);
      if (!(length > 0)) ctx.addIssue({ code: 'custom', path: ['endedAt'], message: 'must be after startedAt' });
      else if (length > MAX_SESSION_MS) ctx.addIssue({ code: 'custom', path: ['endedAt'], message: 'must be at most 24 h after startedAt' });
      if (session.correctCount > session.cardsReviewed) {
        ctx.addIssue({ code: 'custom', path: ['correctCount'], message: 'must not exceed cardsReviewed' });
      }
    });
}

export const sessionCompletedSchema = sessionCompletedSchemaAt(() => Date.now());
export type SessionCompleted = z.infer<typeof sessionCompletedSchema>;
