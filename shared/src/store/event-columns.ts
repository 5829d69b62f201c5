import type { EventType } from '../contracts/behavioral-event';
import type { EventRow } from '../aggregates/user-history';

/**
 * How each field of EventRow is read from behavioral_events: one record per field (the
 * compiler rejects a missing one), from which every load builds its SELECT list and its
 * decoding — no position-matched arrays. Timestamps travel as epoch milliseconds: no strings
 * to parse.
 */

/**
 * A timestamp as epoch milliseconds (float8): date_part is float arithmetic, exact once
 * rounded (the columns hold whole milliseconds), and far cheaper than extract's numeric.
 */
export const epochMs = (timestamp: string) => `round(date_part('epoch', ${timestamp}) * 1000)`;

type EventField = Exclude<keyof EventRow, 'userId'>;

interface EventColumn {
  /** The SQL expression, given the table's alias. */
  select(alias: string): string;
  /** From its JSON value to the field's; the value as it is when absent. */
  decode?(value: unknown): unknown;
}

const EVENT_COLUMNS: { [F in EventField]: EventColumn } = {
  eventId: { select: (e) => `${e}.event_id` },
  type: { select: (e) => `${e}.type`, decode: (type) => type as EventType },
  occurredAt: { select: (e) => epochMs(`${e}.occurred_at`), decode: (ms) => new Date(ms as number) },
  objectiveId: { select: (e) => `${e}.objective_id` },
  missionId: { select: (e) => `${e}.mission_id` },
  correct: { select: (e) => `${e}.correct` },
  responseMs: { select: (e) => `${e}.response_ms` },
  // bigint: as float8, a JSON number rather than a string.
  durationMs: { select: (e) => `${e}.duration_ms::float8` },
  successScore: { select: (e) => `${e}.success_score` },
  stress: { select: (e) => `${e}.stress` },
  interventionType: { select: (e) => `${e}.intervention_type` },
  contentType: { select: (e) => `${e}.content_type` },
};

const FIELDS = Object.keys(EVENT_COLUMNS) as EventField[];

/** One event as a JSON array, the fields in EVENT_COLUMNS' order. */
export function eventArraySql(alias: string): string {
  return `json_build_array(${FIELDS.map((f) => EVENT_COLUMNS[f].select(alias)).join(', ')})`;
}

/** A set of events as parallel JSON arrays, one per field (an aggregate: use it over the rows). */
export function eventColumnsSql(alias: string): string {
  return `json_build_array(${FIELDS.map((f) => `json_agg(${EVENT_COLUMNS[f].select(alias)})`).join(', ')})`;
}

function decode(field: EventField, value: unknown): unknown {
  const column = EVENT_COLUMNS[field];
  return column.decode ? column.decode(value) : value;
}

/** Rows from eventArraySql's arrays (null: none). */
export function eventRowsFromArrays(userId: string, arrays: unknown[][] | null): EventRow[] {
  return (arrays ?? []).map((values) => {
    const row: Record<string, unknown> = { userId };
    FIELDS.forEach((field, i) => (row[field] = decode(field, values[i])));
    return row as unknown as EventRow;
  });
}

/** Rows from eventColumnsSql's columns (each null when there was no row). */
export function eventRowsFromColumns(userId: string, columns: (unknown[] | null)[]): EventRow[] {
  const count = columns[0]?.length ?? 0;
  return Array.from({ length: count }, (_, r) => {
    const row: Record<string, unknown> = { userId };
    FIELDS.forEach((field, i) => (row[field] = decode(field, columns[i]![r])));
    return row as unknown as EventRow;
  });
}
