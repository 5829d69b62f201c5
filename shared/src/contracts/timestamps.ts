import { z } from 'zod';

// ISO-8601 with a date, a time and a zone (Z or ±hh:mm); no zone-less local times.
export const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const EARLIEST = Date.UTC(2000, 0, 1);
export const MAX_FUTURE_MS = 5 * 60_000;

/** Parses a round-trippable calendar date (rejects 2026-02-30 that Date would roll over). */
function isRealDate(value: string): boolean {
  const [datePart] = value.split('T');
  const [y, m, d] = datePart!.split('-').map(Number);
  const probe = new Date(Date.UTC(y!, m! - 1, d!));
  return probe.getUTCFullYear() === y && probe.getUTCMonth() === m! - 1 && probe.getUTCDate() === d;
}

/** An ISO-8601 instant with zone, from 2000 on; `maxFuture` bounds how far ahead of now it may be. */
export function instantSchema(now: () => number, maxFutureMs: number | null) {
  return z
    .string()
    .regex(ISO_WITH_ZONE, 'must be ISO-8601 with a zone, e.g. 2026-11-24T09:30:00Z')
    .refine(isRealDate, 'is not a real calendar date')
    .refine((value) => Date.parse(value) >= EARLIEST, 'must not be before the year 2000')
    .refine((value) => maxFutureMs === null || Date.parse(value) <= now() + maxFutureMs, 'must not be more than 5 minutes in the future');
}
