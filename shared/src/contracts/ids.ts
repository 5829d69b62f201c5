import { z } from 'zod';

/**
 * Identifiers (SPEC 3): 1–64 characters of [A-Za-z0-9_-]. The narrow charset is what keeps
 * ids safe inside cache keys, key patterns and log lines: no glob or separator characters.
 */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const idSchema = z.string().regex(ID_PATTERN, 'must be 1–64 characters of A-Z a-z 0-9 _ -');

export function isId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}
