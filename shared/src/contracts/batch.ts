import { z } from 'zod';
import { behavioralEventSchema } from './behavioral-event';
import { sessionCompletedSchema } from './session-completed';

export const MAX_BATCH = 1_000;

export interface IssueDetail {
  path: string;
  message: string;
}
export interface ItemErrors {
  /** Index in the batch; -1 for an error about the batch itself. */
  index: number;
  issues: IssueDetail[];
}
export type BatchResult<T> = { ok: true; items: T[] } | { ok: false; message: string; errors: ItemErrors[] };

/** Zod's issues as `{ path, message }`, the path dotted (`root` names the value itself). */
export function issueDetails(error: z.ZodError, root = '(item)'): IssueDetail[] {
  return error.issues.map((issue) => ({ path: issue.path.join('.') || root, message: issue.message }));
}

/**
 * All or nothing: every bad index is reported, and one bad item rejects the batch.
 * Duplicated ids inside a batch are legal: the queue and the store are idempotent.
 */
export function validateBatch<T>(items: unknown, schema: z.ZodType<T>, max = MAX_BATCH): BatchResult<T> {
  if (!Array.isArray(items)) return { ok: false, message: 'expected an array', errors: [{ index: -1, issues: [{ path: '(batch)', message: 'expected an array' }] }] };
  if (items.length === 0) return { ok: false, message: 'the batch is empty', errors: [{ index: -1, issues: [{ path: '(batch)', message: 'must hold at least 1 item' }] }] };
  if (items.length > max) {
    return { ok: false, message: `at most ${max} items per batch`, errors: [{ index: -1, issues: [{ path: '(batch)', message: `must hold at most ${max} items, got ${items.length}` }] }] };
  }
  const valid: T[] = [];
  const errors: ItemErrors[] = [];
  items.forEach((item, index) => {
    const result = schema.safeParse(item);
    if (result.success) valid.push(result.data);
    else errors.push({ index, issues: issueDetails(result.error) });
  });
  if (errors.length > 0) return { ok: false, message: `${errors.length} of ${items.length} items are invalid; none was accepted`, errors };
  return { ok: true, items: valid };
}

/** Request bodies of POST /api/events and POST /api/sessions (also their OpenAPI shapes). */
export const eventsBodySchema = z.strictObject({ events: z.array(behavioralEventSchema).min(1).max(MAX_BATCH) });
export const sessionsBodySchema = z.strictObject({ sessions: z.array(sessionCompletedSchema).min(1).max(MAX_BATCH) });
export const acceptedResponseSchema = z.object({ accepted: z.number().int().min(0) });
