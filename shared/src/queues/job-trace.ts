import { ISO_WITH_ZONE } from '../contracts/timestamps';

/**
 * The optional `_trace` of an ingest job (docs/api.md: "X-Request-Id and tracing"), read at
 * the boundary. Any BullMQ client may set it — a study app in another language too — so it
 * is input like the event beside it: a value that is not what it should be is ignored (and
 * counted, `job_trace_ignored_total{field}`), never carried on. An unparsable `publishedAt`
 * used to reach the freshness histogram as NaN, which throws: the recompute failed after its
 * aggregates were stored, and every retry recomputed the user again.
 *
 * `publishedAt` is an instant: ISO-8601 with a zone (`2026-12-07T09:00:00Z`,
 * `…+01:00`), or epoch milliseconds as a number or a string of digits (`1733555555000`).
 * Only instants from 2000 to 2100 count, so epoch *seconds* (`1733555555`, January 1970 as
 * milliseconds) are ignored rather than read as a lag of 55 years. `requestId` follows the
 * X-Request-Id rule (1–128 characters of `[A-Za-z0-9_.:-]`): it is written to logs.
 */
export interface ReadTrace {
  /** Epoch milliseconds; null when absent or ignored. */
  publishedAtMs: number | null;
  requestId?: string;
  /** What was present and not usable: `_trace` itself (not an object), or one of its fields. */
  ignored: TraceField[];
}
export type TraceField = '_trace' | 'publishedAt' | 'requestId';

const EARLIEST_MS = Date.UTC(2000, 0, 1);
const LATEST_MS = Date.UTC(2100, 0, 1);
const SAFE_REQUEST_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** An instant as epoch milliseconds, from ISO-8601 with a zone or epoch milliseconds; null for anything else. */
export function instantMs(value: unknown): number | null {
  let ms: number;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'string' && /^\d{1,15}$/.test(value)) ms = Number(value);
  else if (typeof value === 'string' && ISO_WITH_ZONE.test(value)) ms = Date.parse(value);
  else return null;
  return Number.isInteger(ms) && ms >= EARLIEST_MS && ms < LATEST_MS ? ms : null;
}

export function readJobTrace(raw: unknown): ReadTrace {
  if (raw === undefined || raw === null) return { publishedAtMs: null, ignored: [] };
  if (typeof raw !== 'object' || Array.isArray(raw)) return { publishedAtMs: null, ignored: ['_trace'] };
  const { publishedAt, requestId } = raw as { publishedAt?: unknown; requestId?: unknown };
  const ignored: TraceField[] = [];
  const publishedAtMs = publishedAt === undefined ? null : instantMs(publishedAt);
  if (publishedAt !== undefined && publishedAtMs === null) ignored.push('publishedAt');
  const safeId = typeof requestId === 'string' && SAFE_REQUEST_ID.test(requestId);
  if (requestId !== undefined && !safeId) ignored.push('requestId');
  return { publishedAtMs, ...(safeId ? { requestId: requestId as string } : {}), ignored };
}
