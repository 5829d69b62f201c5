import fc from 'fast-check';

/**
 * fast-check generators of VALID events and sessions, written from SPEC section 3 (not from
 * the zod schemas under test, so they are an independent reading of the contract), and
 * mutations each of which makes a payload invalid by that same contract. Fuzz tests take
 * a valid payload and mutate one thing, so most cases probe just past the boundary.
 */
type Json = Record<string, unknown>;

const ID_CHARS = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'];
const EARLIEST = Date.UTC(2000, 0, 1);
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
export const EVENT_TYPES = ['card_reviewed', 'mission_started', 'mission_completed', 'mission_abandoned', 'self_report', 'intervention_applied', 'content_viewed', 'search_performed'] as const;
const INTERVENTION_TYPES = ['SPACED_REPETITION_BOOST', 'PREREQUISITE_REVIEW', 'BREAK_SCHEDULING', 'REDUCE_SESSION_LENGTH', 'SCHEDULE_SHIFT'] as const;
const CONTENT_TYPES = ['article', 'video', 'card', 'question'] as const;

/** An Id: 1–64 of [A-Za-z0-9_-], biased to the edges (1 and 64 characters). */
export const idArb = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom(...ID_CHARS), minLength: 1, maxLength: 64 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...ID_CHARS), minLength: 64, maxLength: 64 }) },
  { weight: 1, arbitrary: fc.constantFrom('-', '_', '0', '--', '__proto__', 'constructor', 'null', 'NaN') },
);

/** Prefixes an id with a tag (kept within 64 characters) so the test can recognize it later. */
export const tagId = (tag: string, id: string) => `${tag}${id}`.slice(0, 64);

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');

/**
 * The same instant written the ways ISO-8601 with a zone allows: `Z` with or without
 * milliseconds, a ±hh:mm offset, nine fraction digits, minutes only. `exact` styles keep the
 * millisecond (sessions need that: endedAt must stay after startedAt).
 */
export function formatInstant(ms: number, style: number, offsetMinutes: number): string {
  const iso = new Date(ms).toISOString();
  switch (style % 5) {
    case 0:
      return iso;
    case 1: {
      const local = new Date(ms + offsetMinutes * MINUTE).toISOString().slice(0, 23);
      const sign = offsetMinutes < 0 ? '-' : '+';
      return `${local}${sign}${pad(Math.trunc(offsetMinutes / 60))}:${pad(offsetMinutes % 60)}`;
    }
    case 2:
      return `${iso.slice(0, 23)}456789Z`;
    case 3:
      return `${iso.slice(0, 19)}Z`;
    default:
      return `${iso.slice(0, 16)}Z`;
  }
}

const offsetArb = fc.integer({ min: -12 * 60, max: 14 * 60 });

/** An instant from 2000-01-01 to 4 minutes ahead of `now` (the SPEC allows 5), mostly recent. */
function instantArb(now: number, exact: boolean): fc.Arbitrary<string> {
  const ms = fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: now - 90 * DAY, max: now }) },
    { weight: 1, arbitrary: fc.integer({ min: EARLIEST, max: now + 4 * MINUTE }) },
    { weight: 1, arbitrary: fc.constantFrom(EARLIEST, EARLIEST + 1, now + 4 * MINUTE) },
  );
  return fc.tuple(ms, fc.nat(), offsetArb).map(([t, style, offset]) => formatInstant(t, exact ? style % 3 : style, offset));
}

const int = (min: number, max: number) => fc.integer({ min, max });
const nonNegativeInt = fc.oneof(fc.nat(), fc.constantFrom(0, Number.MAX_SAFE_INTEGER), fc.maxSafeNat());
const fraction = fc.double({ min: 0, max: 1, noNaN: true }).map((x) => (Object.is(x, -0) ? 0 : x));

const PROPERTIES: Record<(typeof EVENT_TYPES)[number], fc.Arbitrary<Json>> = {
  card_reviewed: fc.record(
    { objectiveId: idArb, correct: fc.boolean(), responseMs: fc.oneof(int(0, 3_600_000), fc.constantFrom(0, 3_600_000)), confidence: int(1, 5), sessionId: idArb },
    { requiredKeys: ['objectiveId', 'correct', 'responseMs'] },
  ),
  mission_started: fc.record(
    { missionId: idArb, objectiveIds: fc.array(idArb, { maxLength: 20 }), estimatedMinutes: fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }).map((x) => Math.abs(x)), fc.constant(0)) },
    { requiredKeys: ['missionId'] },
  ),
  mission_completed: fc.record({ missionId: idArb, successScore: fraction, durationMs: nonNegativeInt }),
  mission_abandoned: fc.record({ missionId: idArb, durationMs: nonNegativeInt }, { requiredKeys: ['missionId'] }),
  self_report: fc.record({ stress: int(1, 5), energy: int(1, 5) }, { requiredKeys: ['stress'] }),
  intervention_applied: fc.record({ interventionType: fc.constantFrom(...INTERVENTION_TYPES), objectiveId: idArb }, { requiredKeys: ['interventionType'] }),
  content_viewed: fc.record({ contentId: idArb, contentType: fc.constantFrom(...CONTENT_TYPES), durationMs: nonNegativeInt }),
  search_performed: fc.record({ resultCount: nonNegativeInt, queryLength: nonNegativeInt }),
};

/** A valid behavioral event (SPEC 3) of any type; `userIds` narrows the users when given. */
export function validEventArb(now: number, userIds?: string[]): fc.Arbitrary<Json> {
  return fc.constantFrom(...EVENT_TYPES).chain((type) =>
    fc.record({
      eventId: idArb,
      userId: userIds ? fc.constantFrom(...userIds) : idArb,
      type: fc.constant(type),
      occurredAt: instantArb(now, false),
      properties: PROPERTIES[type],
    }),
  );
}

/** A valid completed session: ends after it starts, at most 24 h later, correct ≤ cards. */
export function validSessionArb(now: number, userIds?: string[]): fc.Arbitrary<Json> {
  const lengthMs = fc.oneof(int(1, DAY), fc.constantFrom(1, DAY), int(5 * MINUTE, 2 * 60 * MINUTE));
  return fc
    .record({
      sessionId: idArb,
      userId: userIds ? fc.constantFrom(...userIds) : idArb,
      start: fc.integer({ min: EARLIEST, max: now - DAY }),
      lengthMs,
      styles: fc.tuple(fc.nat(), fc.nat(), offsetArb, offsetArb),
      cards: fc.oneof(int(0, 500), fc.constant(0)),
      correctShare: fraction,
      optional: fc.record({ avgResponseMs: int(0, 3_600_000), missionId: idArb, objectiveIds: fc.array(idArb, { maxLength: 10 }) }, { requiredKeys: [] }),
    })
    .map(({ sessionId, userId, start, lengthMs: length, styles, cards, correctShare, optional }) => ({
      sessionId,
      userId,
      startedAt: formatInstant(start, styles[0] % 3, styles[2]),
      endedAt: formatInstant(start + length, styles[1] % 3, styles[3]),
      cardsReviewed: cards,
      correctCount: Math.floor(cards * correctShare),
      ...optional,
    }));
}

// ---------------------------------------------------------------------------------------
// Mutations: each returns a payload that the SPEC says must be refused.

export interface Mutation {
  name: string;
  apply(payload: Json): unknown;
}

/** Strings that are not Ids: glob and separator characters, unicode, control characters, lengths 0 and 65+. */
export const badIdArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.tuple(idArb, fc.constantFrom('*', '?', '[', ']', '{', '}', ':', ' ', '/', '.', '%', '\\', 'é', 'ß', '😀', '\u0000', '\n', '\u200b', 'Ａ'), fc.nat()).map(([id, bad, at]) => {
    const i = at % (id.length + 1);
    return `${id.slice(0, i)}${bad}${id.slice(i)}`;
  }),
  fc.constantFrom('', '*', 'user:*', '{u:alice}', '[a-z]*', 'a?c', '..', 'a b', 'x'.repeat(65), 'x'.repeat(100_000)),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).filter((s) => !/^[A-Za-z0-9_-]{1,64}$/.test(s)),
  fc.constantFrom(42, 0, -1, true, null, [], ['a'], {}, { id: 'a' }),
);

/** Timestamps the SPEC refuses: no zone, not ISO, out of range, impossible dates, too far ahead. */
export const badInstantArb: fc.Arbitrary<() => unknown> = fc.oneof(
  fc.constantFrom(
    '1999-12-31T23:59:59.999Z',
    '1970-01-01T00:00:00Z',
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
    '+275760-09-13T00:00:00.000Z',
    '-000001-01-01T00:00:00Z',
    '2026-02-30T10:00:00Z',
    '2026-13-01T10:00:00Z',
    '2026-11-24T25:00:00Z',
    '2026-11-24T10:00:00',
    '2026-11-24',
    '24/11/2026 10:00',
    'yesterday',
    '',
    'Tue, 24 Nov 2026 10:00:00 GMT',
    '2026-11-24T10:00:00+1:00',
    '２０２６-11-24T10:00:00Z',
  ).map((value) => () => value),
  fc.integer({ min: 6, max: 10_000_000 }).map((minutes) => () => new Date(Date.now() + minutes * MINUTE).toISOString()),
  fc.constantFrom(1_700_000_000_000, null, true, {}, []).map((value) => () => value),
);

/** JSON text nested `depth` levels deep, built as text (JSON.stringify itself overflows at ~10k levels). */
export function nestedJson(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? `${'['.repeat(depth)}"deep"${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}"deep"${'}'.repeat(depth)}`;
}

/** A value nested `depth` levels deep, as arrays or objects. */
export function nested(depth: number, kind: 'array' | 'object'): unknown {
  let value: unknown = 'deep';
  for (let i = 0; i < depth; i += 1) value = kind === 'array' ? [value] : { a: value };
  return value;
}

const wrongTypeArb: fc.Arbitrary<unknown> = fc.oneof(
  // Never a string that could pass as an Id: '' and 20,000 characters are the only strings.
  fc.constantFrom(1, true, '', null, [], {}, [1], { value: 1 }, 'x'.repeat(20_000)),
  fc.integer({ min: 10, max: 2_000 }).map((depth) => nested(depth, depth % 2 ? 'array' : 'object')),
);

const ID_PROPERTY = /^(objectiveId|missionId|contentId|sessionId)$/;

/** Numbers and enums just outside what each property allows (SPEC 3). */
const OUT_OF_RANGE: Record<string, unknown[]> = {
  responseMs: [-1, 3_600_001, 1.5, 1e308, '5000'],
  confidence: [0, 6, 2.5, '3'],
  correct: ['true', 1, 0, null],
  estimatedMinutes: [-0.001, -1, '10'],
  successScore: [-0.000001, 1.000001, 2, '1'],
  durationMs: [-1, 0.5, '100', null],
  stress: [0, 6, 3.5, '3', null],
  energy: [0, 6, 1.5],
  interventionType: ['NAP', 'spaced_repetition_boost', '', 1],
  contentType: ['podcast', 'Article', '', null],
  resultCount: [-1, 1.5, '3'],
  queryLength: [-1, 0.1, '3'],
  objectiveIds: ['o1', [1], ['a*'], [null], {}],
};

/** Required properties of each type: removing one must be refused. */
const REQUIRED: Record<string, string[]> = {
  card_reviewed: ['objectiveId', 'correct', 'responseMs'],
  mission_started: ['missionId'],
  mission_completed: ['missionId', 'successScore', 'durationMs'],
  mission_abandoned: ['missionId'],
  self_report: ['stress'],
  intervention_applied: ['interventionType'],
  content_viewed: ['contentId', 'contentType', 'durationMs'],
  search_performed: ['resultCount', 'queryLength'],
};

const pickFrom = <T>(list: readonly T[], n: number): T => list[n % list.length]!;
const UNKNOWN_KEYS = ['extra', 'EventId', 'event_id', 'constructor', 'toString', '__proto__', 'userid', '*'];

/** Sets an own property, `__proto__` included (a literal `__proto__:` would set the prototype). */
function withKey(target: Json, key: string, value: unknown): Json {
  const copy = { ...target };
  Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

function withoutKey(target: Json, key: string): Json {
  const copy = { ...target };
  delete copy[key];
  return copy;
}

/** Mutations of a valid behavioral event; every result is invalid by SPEC 3. */
export const eventMutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.constantFrom('eventId', 'userId'), badIdArb).map(([field, bad]) => ({ name: `bad ${field}`, apply: (e: Json) => ({ ...e, [field]: bad }) })),
  fc.tuple(fc.nat(), badIdArb).map(([n, bad]) => ({
    name: 'bad id inside properties',
    apply: (e: Json) => {
      const props = e.properties as Json;
      const idKeys = Object.keys(props).filter((k) => ID_PROPERTY.test(k));
      if (idKeys.length === 0) return { ...e, eventId: bad };
      return { ...e, properties: { ...props, [pickFrom(idKeys, n)]: bad } };
    },
  })),
  fc.tuple(badIdArb, fc.nat()).map(([bad, n]) => ({
    name: 'bad id in objectiveIds',
    apply: (e: Json) => ({ ...e, type: 'mission_started', properties: { missionId: 'm1', objectiveIds: ['ok-1', bad, 'ok-2'].slice(n % 2) } }),
  })),
  badInstantArb.map((bad) => ({ name: 'bad occurredAt', apply: (e: Json) => ({ ...e, occurredAt: bad() }) })),
  fc.constantFrom('card_review', 'Card_Reviewed', 'CARD_REVIEWED', '', 'session-completed', '__proto__', 'mission_*', 1, null).map((type) => ({ name: 'bad type', apply: (e: Json) => ({ ...e, type }) })),
  fc.nat().map((n) => ({
    name: 'a property of another type',
    apply: (e: Json) => {
      const others = EVENT_TYPES.filter((t) => t !== e.type && !REQUIRED[t]!.every((k) => k in (e.properties as Json)));
      return { ...e, type: pickFrom(others, n) };
    },
  })),
  fc.tuple(fc.nat(), fc.nat()).map(([n, m]) => ({
    name: 'property out of range',
    apply: (e: Json) => {
      const props = e.properties as Json;
      const keys = Object.keys(props).filter((k) => k in OUT_OF_RANGE);
      if (keys.length === 0) return { ...e, properties: { ...props, [pickFrom(Object.keys(props), n)]: 'x*' } };
      const key = pickFrom(keys, n);
      return { ...e, properties: { ...props, [key]: pickFrom(OUT_OF_RANGE[key]!, m) } };
    },
  })),
  fc.nat().map((n) => ({ name: 'missing required property', apply: (e: Json) => ({ ...e, properties: withoutKey(e.properties as Json, pickFrom(REQUIRED[e.type as string]!, n)) }) })),
  fc.constantFrom('eventId', 'userId', 'type', 'occurredAt', 'properties').map((field) => ({ name: `missing ${field}`, apply: (e: Json) => withoutKey(e, field) })),
  fc.tuple(fc.constantFrom(...UNKNOWN_KEYS), fc.boolean()).map(([key, inside]) => ({
    name: 'unknown field',
    apply: (e: Json) => (inside ? { ...e, properties: withKey(e.properties as Json, key, 1) } : withKey(e, key, 'x')),
  })),
  wrongTypeArb.map((value) => ({ name: 'properties of the wrong type', apply: (e: Json) => ({ ...e, properties: value }) })),
  fc.tuple(fc.constantFrom('eventId', 'userId', 'occurredAt', 'type'), wrongTypeArb).map(([field, value]) => ({ name: `${field} of the wrong type`, apply: (e: Json) => ({ ...e, [field]: value }) })),
  fc.integer({ min: 1, max: 64 }).map((extra) => ({
    name: 'properties over 8 KiB',
    // Just over the limit: 1 to 64 bytes more than 8 KiB.
    apply: (e: Json) => ({ ...e, type: 'mission_started', properties: propertiesOfBytes(8 * 1024 + extra) }),
  })),
  fc.constantFrom(null, 42, 'event', [], [{}], true).map((value) => ({ name: 'not an object', apply: () => value })),
);

/** mission_started properties of exactly `bytes` bytes as JSON (the size limit is 8 KiB). */
export function propertiesOfBytes(bytes: number): Json {
  const base = { missionId: 'm', objectiveIds: [] as string[] };
  const size = () => Buffer.byteLength(JSON.stringify(base));
  while (size() + 67 <= bytes) base.objectiveIds.push('i'.repeat(64));
  const remaining = bytes - size() - (base.objectiveIds.length > 0 ? 1 : 0) - 2;
  if (remaining > 0) base.objectiveIds.push('j'.repeat(remaining));
  let id = base.missionId;
  while (size() < bytes) base.missionId = id += 'm';
  if (size() !== bytes) throw new Error(`could not build ${bytes} bytes of properties (got ${size()})`);
  return base;
}

/** Mutations of a valid completed session; every result is invalid by SPEC 3. */
export const sessionMutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.constantFrom('sessionId', 'userId', 'missionId'), badIdArb).map(([field, bad]) => ({ name: `bad ${field}`, apply: (s: Json) => ({ ...s, [field]: bad }) })),
  badIdArb.map((bad) => ({ name: 'bad id in objectiveIds', apply: (s: Json) => ({ ...s, objectiveIds: ['o-1', bad] }) })),
  fc.tuple(fc.constantFrom('startedAt', 'endedAt'), badInstantArb).map(([field, bad]) => ({ name: `bad ${field}`, apply: (s: Json) => ({ ...s, [field]: bad() }) })),
  fc.integer({ min: 0, max: 10 * DAY }).map((back) => ({
    name: 'ends before or when it starts',
    apply: (s: Json) => ({ ...s, endedAt: new Date(Date.parse(s.startedAt as string) - back).toISOString() }),
  })),
  fc.integer({ min: 1, max: 1_000 }).map((over) => ({
    name: 'longer than 24 h',
    apply: (s: Json) => ({ ...s, endedAt: new Date(Date.parse(s.startedAt as string) + DAY + over).toISOString() }),
  })),
  fc.integer({ min: 1, max: 1_000 }).map((more) => ({ name: 'more correct than cards', apply: (s: Json) => ({ ...s, correctCount: (s.cardsReviewed as number) + more }) })),
  fc.tuple(fc.constantFrom('cardsReviewed', 'correctCount', 'avgResponseMs'), fc.constantFrom(-1, 1.5, '3', null, true, [])).map(([field, value]) => ({
    name: `${field} out of range`,
    apply: (s: Json) => ({ ...s, [field]: value }),
  })),
  fc.constantFrom('sessionId', 'userId', 'startedAt', 'endedAt', 'cardsReviewed', 'correctCount').map((field) => ({ name: `missing ${field}`, apply: (s: Json) => withoutKey(s, field) })),
  fc.constantFrom(...UNKNOWN_KEYS).map((key) => ({ name: 'unknown field', apply: (s: Json) => withKey(s, key, 1) })),
  fc.tuple(fc.constantFrom('sessionId', 'userId', 'startedAt', 'objectiveIds'), wrongTypeArb).filter(([field, value]) => !(field === 'objectiveIds' && Array.isArray(value) && value.length === 0)).map(([field, value]) => ({ name: `${field} of the wrong type`, apply: (s: Json) => ({ ...s, [field]: value }) })),
  fc.constantFrom(null, 42, 'session', [], true).map((value) => ({ name: 'not an object', apply: () => value })),
);
