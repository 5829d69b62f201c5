import { z } from 'zod';
import { behavioralEventSchemaAt, EVENT_PROPERTIES, EVENT_TYPES, type BehavioralEvent } from './behavioral-event';
import { MAX_BATCH, eventsBodySchema, sessionsBodySchema, validateBatch } from './batch';
import { analyticsQuerySchema } from './analytics-query';
import { sessionCompletedSchemaAt } from './session-completed';

const NOW = Date.parse('2026-11-24T12:00:00Z');
const eventSchema = behavioralEventSchemaAt(() => NOW);
const sessionSchema = sessionCompletedSchemaAt(() => NOW);

const base = { eventId: 'e-1', userId: 'u_1', occurredAt: '2026-11-24T11:00:00Z' };
const VALID: Record<string, object> = {
  card_reviewed: { objectiveId: 'o1', correct: true, responseMs: 3_600_000, confidence: 5, sessionId: 's1' },
  mission_started: { missionId: 'm1', objectiveIds: ['o1'], estimatedMinutes: 0 },
  mission_completed: { missionId: 'm1', successScore: 1, durationMs: 0 },
  mission_abandoned: { missionId: 'm1' },
  self_report: { stress: 1, energy: 5 },
  intervention_applied: { interventionType: 'BREAK_SCHEDULING' },
  content_viewed: { contentId: 'c1', contentType: 'video', durationMs: 10 },
  search_performed: { resultCount: 0, queryLength: 3 },
};

function messagesOf(input: unknown): string[] {
  const result = eventSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('behavioral events', () => {
  it.each(Object.entries(VALID))('accepts a valid %s', (type, properties) => {
    expect(messagesOf({ ...base, type, properties })).toEqual([]);
  });

  it.each([
    ['card_reviewed', { objectiveId: 'o1', correct: 'yes', responseMs: 1 }, 'properties.correct'],
    ['card_reviewed', { objectiveId: 'o1', correct: true, responseMs: 3_600_001 }, 'properties.responseMs'],
    ['card_reviewed', { objectiveId: 'o1', correct: true, responseMs: 1.5 }, 'properties.responseMs'],
    ['card_reviewed', { objectiveId: 'o1', correct: true, responseMs: 1, confidence: 6 }, 'properties.confidence'],
    ['mission_completed', { missionId: 'm1', successScore: 1.01, durationMs: 1 }, 'properties.successScore'],
    ['mission_started', { missionId: 'm1', estimatedMinutes: -1 }, 'properties.estimatedMinutes'],
    ['self_report', { stress: 0 }, 'properties.stress'],
    ['intervention_applied', { interventionType: 'HUG' }, 'properties.interventionType'],
    ['content_viewed', { contentId: 'c1', contentType: 'podcast', durationMs: 1 }, 'properties.contentType'],
    ['search_performed', { resultCount: -1, queryLength: 1 }, 'properties.resultCount'],
    ['self_report', { stress: 3, mood: 'ok' }, 'properties'],
  ])('rejects %s with %j at %s', (type, properties, path) => {
    expect(messagesOf({ ...base, type, properties }).some((m) => m.startsWith(`${path}:`))).toBe(true);
  });

  it.each(['a*', 'a?', 'a[1]', 'a\\b', 'a:b', 'a b', '', 'x'.repeat(65), 'é'])('rejects the id %j', (id) => {
    expect(messagesOf({ ...base, userId: id, type: 'self_report', properties: { stress: 2 } })).toEqual([
      expect.stringMatching(/^userId: must be 1–64 characters/),
    ]);
  });

  it.each([
    ['2026-11-24T11:00:00', /with a zone/],
    ['2026-02-30T11:00:00Z', /real calendar date/],
    ['1999-12-31T23:59:59Z', /before the year 2000/],
    ['2026-11-24T12:05:01Z', /5 minutes in the future/],
    [1732406400000, /expected string/i],
  ])('rejects occurredAt %j', (occurredAt, message) => {
    expect(messagesOf({ ...base, occurredAt, type: 'self_report', properties: { stress: 2 } }).join()).toMatch(message);
  });

  it('accepts offsets and up to 5 minutes ahead', () => {
    expect(messagesOf({ ...base, occurredAt: '2026-11-24T13:04:59+01:00', type: 'self_report', properties: { stress: 2 } })).toEqual([]);
  });

  it('rejects unknown types, unknown top-level keys and properties over 8 KiB', () => {
    expect(messagesOf({ ...base, type: 'card_flipped', properties: {} }).join()).toMatch(/type/);
    expect(messagesOf({ ...base, type: 'self_report', properties: { stress: 2 }, extra: 1 }).join()).toMatch(/extra/);
    const big = { missionId: 'm1', objectiveIds: Array.from({ length: 500 }, (_, i) => `objective-${i}-${'x'.repeat(8)}`) };
    expect(messagesOf({ ...base, type: 'mission_started', properties: big }).join()).toMatch(/at most 8192 bytes/);
  });
});

describe('sessions', () => {
  const session = { sessionId: 's1', userId: 'u1', startedAt: '2026-11-24T10:00:00Z', endedAt: '2026-11-24T10:30:00Z', cardsReviewed: 10, correctCount: 7 };

  it('accepts a valid session', () => {
    expect(sessionSchema.safeParse(session).success).toBe(true);
  });

  it.each([
    [{ endedAt: '2026-11-24T10:00:00Z' }, 'endedAt', /after startedAt/],
    [{ startedAt: '2026-11-23T09:59:59Z' }, 'endedAt', /at most 24 h/],
    [{ correctCount: 11 }, 'correctCount', /must not exceed cardsReviewed/],
    [{ cardsReviewed: -1 }, 'cardsReviewed', /./],
  ])('rejects %j', (change, path, message) => {
    const result = sessionSchema.safeParse({ ...session, ...change });
    expect(result.success).toBe(false);
    const issue = result.error!.issues.find((i) => i.path.join('.') === path);
    expect(issue?.message).toMatch(message);
  });
});

describe('validateBatch', () => {
  const good = { ...base, type: 'self_report', properties: { stress: 2 } };

  it('reports every bad index and accepts nothing', () => {
    const result = validateBatch([good, { ...good, userId: 'a*' }, good, { nope: 1 }], eventSchema);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => e.index)).toEqual([1, 3]);
  });

  it('accepts a valid batch, duplicates included, and refuses empty, non-array and oversized batches', () => {
    expect(validateBatch([good, good], eventSchema)).toEqual({ ok: true, items: [good, good] });
    for (const bad of [[], {}, Array.from({ length: MAX_BATCH + 1 }, () => good)]) {
      const result = validateBatch(bad, eventSchema);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.errors[0]!.index).toBe(-1);
    }
  });

  it('gives JSON Schemas for the request bodies (OpenAPI 3.1)', () => {
    for (const schema of [eventsBodySchema, sessionsBodySchema, analyticsQuerySchema]) {
      const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { type?: string };
      expect(json.type).toBe('object');
    }
  });
});

describe('analytics queries', () => {
  it('validates userId and period, strictly', () => {
    expect(analyticsQuerySchema.safeParse({ userId: 'u1', period: '7d' }).success).toBe(true);
    expect(analyticsQuerySchema.safeParse({ userId: 'u1', period: '8d' }).success).toBe(false);
    expect(analyticsQuerySchema.safeParse({ userId: 'u*' }).success).toBe(false);
    expect(analyticsQuerySchema.safeParse({ userId: 'u1', debug: '1' }).success).toBe(false);
  });

});

describe('BehavioralEvent (the type)', () => {
  it('is a union discriminated by type, built from EVENT_PROPERTIES (pnpm typecheck runs this file)', () => {
    const objectiveOf = (e: BehavioralEvent) => (e.type === 'card_reviewed' ? e.properties.objectiveId : null);
    // @ts-expect-error a card review's properties are not a self report's
    const wrong: BehavioralEvent = { eventId: 'e', userId: 'u', type: 'card_reviewed', occurredAt: '2026-01-01T00:00:00Z', properties: { stress: 3 } };
    expect(objectiveOf(wrong)).toBeUndefined();
    expect(EVENT_TYPES).toEqual(Object.keys(EVENT_PROPERTIES));
  });
});
