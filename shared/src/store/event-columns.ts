import type { BehavioralEvent, EventType } from '../contracts/behavioral-event';
import type { EventRow } from '../aggregates/user-history';

/**
 * The columns of behavioral_events, described once: where each value comes from in a
 * published event (the insert), how it is read back, and which EventRow field it fills
 * (the loads). The properties the formulas filter or sum on are promoted to columns; the
 * whole payload stays in `properties`. The compiler holds this list and EventRow together:
 * a field without a column, or a column naming no field, does not compile.
 *
 * Adding a promoted property: its contract (contracts/behavioral-event.ts), a line here, a
 * column in prisma/schema.prisma (a migration), the EventRow field, the formula that reads it.
 */

/**
 * A timestamp as epoch milliseconds (float8): date_part is float arithmetic, exact once
 * rounded (the columns hold whole milliseconds), and far cheaper than extract's numeric.
 */
export const epochMs = (timestamp: string) => `round(date_part('epoch', ${timestamp}) * 1000)`;

type EventField = Exclude<keyof EventRow, 'userId'>;
type Properties = Record<string, unknown>;

interface EventColumn {
  /** The column's SQL type, for the insert's `unnest($n::<type>[])`. */
  type: string;
  /** Its value in a published event (undefined: NULL). */
  of(event: BehavioralEvent, properties: Properties): unknown;
  /** The EventRow field a load fills from it; none for what the formulas never read. */
  field?: EventField;
  /** How a load selects it, given the table's alias, when not as it is. */
  select?(column: string): string;
  /** From its JSON value to the field's, when not as it is. */
  decode?(value: unknown): unknown;
}

const property = (name: string) => (_event: BehavioralEvent, properties: Properties) => properties[name];

const EVENT_COLUMNS = {
  event_id: { type: 'varchar', of: (e) => e.eventId, field: 'eventId' },
  user_id: { type: 'varchar', of: (e) => e.userId },
  type: { type: 'varchar', of: (e) => e.type, field: 'type', decode: (type) => type as EventType },
  occurred_at: { type: 'timestamptz', of: (e) => e.occurredAt, field: 'occurredAt', select: epochMs, decode: (ms) => new Date(ms as number) },
  properties: { type: 'jsonb', of: (e) => JSON.stringify(e.properties) },
  objective_id: { type: 'varchar', of: property('objectiveId'), field: 'objectiveId' },
  mission_id: { type: 'varchar', of: property('missionId'), field: 'missionId' },
  session_id: { type: 'varchar', of: property('sessionId') },
  correct: { type: 'boolean', of: property('correct'), field: 'correct' },
  response_ms: { type: 'int', of: property('responseMs'), field: 'responseMs' },
  // bigint: read as float8, a JSON number rather than a string.
  duration_ms: { type: 'bigint', of: property('durationMs'), field: 'durationMs', select: (c) => `${c}::float8` },
  success_score: { type: 'float8', of: property('successScore'), field: 'successScore' },
  stress: { type: 'smallint', of: property('stress'), field: 'stress' },
  intervention_type: { type: 'varchar', of: property('interventionType'), field: 'interventionType' },
  content_type: { type: 'varchar', of: property('contentType'), field: 'contentType' },
} as const satisfies Record<string, EventColumn>;

// Every EventRow field has its column: `true` only type-checks when none is missing.
type LoadedFields = { [C in keyof typeof EVENT_COLUMNS]: (typeof EVENT_COLUMNS)[C] extends { field: infer F } ? F : never }[keyof typeof EVENT_COLUMNS];
const everyFieldHasAColumn: Exclude<EventField, LoadedFields> extends never ? true : never = true;
void everyFieldHasAColumn;

const COLUMNS = Object.keys(EVENT_COLUMNS) as (keyof typeof EVENT_COLUMNS)[];
const LOADED = COLUMNS.filter((c) => 'field' in EVENT_COLUMNS[c]).map((c) => ({ column: c, ...(EVENT_COLUMNS[c] as EventColumn) }));

/** `INSERT INTO behavioral_events (…) SELECT * FROM unnest($1::…[], …)`'s column list and unnest, its parameters starting at $1. */
export const EVENT_INSERT = {
  columns: COLUMNS.join(', '),
  unnest: `unnest(${COLUMNS.map((c, i) => `$${i + 1}::${EVENT_COLUMNS[c].type}[]`).join(', ')})`,
  /** The parameter holding each row's user, and its time (for the CTE that locks the users). */
  userParam: `$${COLUMNS.indexOf('user_id') + 1}`,
  timeParam: `$${COLUMNS.indexOf('occurred_at') + 1}`,
};

/** The insert's parameters: one array per column, a value per event (undefined stored as NULL). */
export function eventInsertValues(events: readonly BehavioralEvent[]): unknown[][] {
  return COLUMNS.map((c) => {
    const column: EventColumn = EVENT_COLUMNS[c];
    return events.map((event) => column.of(event, event.properties as Properties) ?? null);
  });
}

const selected = (alias: string, c: (typeof LOADED)[number]) => (c.select ? c.select(`${alias}.${c.column}`) : `${alias}.${c.column}`);

/** One event as a JSON array of its EventRow fields (eventRowsFromArrays reads it back). */
export function eventArraySql(alias: string): string {
  return `json_build_array(${LOADED.map((c) => selected(alias, c)).join(', ')})`;
}

/** A set of events as parallel JSON arrays, one per EventRow field (an aggregate over the rows; eventRowsFromColumns reads it back). */
export function eventColumnsSql(alias: string): string {
  return `json_build_array(${LOADED.map((c) => `json_agg(${selected(alias, c)})`).join(', ')})`;
}

function rowOf(userId: string, valueAt: (i: number) => unknown): EventRow {
  const row: Record<string, unknown> = { userId };
  LOADED.forEach((c, i) => {
    const value = valueAt(i);
    row[c.field!] = c.decode ? c.decode(value) : value;
  });
  return row as unknown as EventRow;
}

/** Rows from eventArraySql's arrays (null: none). */
export function eventRowsFromArrays(userId: string, arrays: unknown[][] | null): EventRow[] {
  return (arrays ?? []).map((values) => rowOf(userId, (i) => values[i]));
}

/** Rows from eventColumnsSql's columns (each null when there was no row). */
export function eventRowsFromColumns(userId: string, columns: (unknown[] | null)[]): EventRow[] {
  return Array.from({ length: columns[0]?.length ?? 0 }, (_, r) => rowOf(userId, (i) => columns[i]![r]));
}
