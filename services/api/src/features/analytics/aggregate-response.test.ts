import { createHash } from 'node:crypto';
import { AggregateResponse, type ServedTier } from './aggregate-response';

const TIERS: ServedTier[] = ['l1', 'l2', 'db', 'compute'];
const COMPUTED_AT = '2026-11-30T05:00:00.123Z';

/** The envelope as res.json would write it (SPEC 4), built from the parsed value. */
function expectedBody(data: unknown, userId: string, tier: ServedTier, refreshing: boolean): string {
  return JSON.stringify({ data, meta: { userId, computedAt: COMPUTED_AT, cache: tier, ...(refreshing ? { refreshing: true } : {}) } });
}

const samples: unknown[] = [
  { period: '7d', started: 3, completionRate: null, rate: 0.1 + 0.2, tiny: 1e-7, big: 1e21, neg: -0.5 },
  { text: 'quotes " and \\ and \u2028 and é and 😀', nested: { computedAt: 'inside the data', list: [1, 'computedAt', { a: [] }] } },
  // data whose own last key is computedAt: the last `,"computedAt":"` of the text is still the envelope's
  { computedAt: COMPUTED_AT, x: { '2': 'b', '1': 'a', z: true } },
  [],
  null,
  0,
  'plain string',
];

describe('AggregateResponse', () => {
  it.each(samples.map((data, i) => [i, data] as const))('sample %i: every tier and the refreshing form equal a fresh serialization of the envelope', (_i, data) => {
    const stored = JSON.stringify({ data, computedAt: COMPUTED_AT });
    for (const firstTier of TIERS) {
      const response = AggregateResponse.fromStoredJson(stored, 'user-1', firstTier);
      expect(response.computedAt).toBe(COMPUTED_AT);
      expect(response.computedAtMs).toBe(Date.parse(COMPUTED_AT));
      for (const tier of [firstTier, ...TIERS]) {
        for (const refreshing of [false, true]) {
          expect(response.body(tier, refreshing).toString('utf8')).toBe(expectedBody(JSON.parse(JSON.stringify(data)), 'user-1', tier, refreshing));
        }
      }
      expect(response.l1Body.toString('utf8')).toBe(expectedBody(data, 'user-1', 'l1', false));
    }
  });

  it('an L1 hit that is not aged gets the very same Buffer and ETag string every time', () => {
    const response = AggregateResponse.fromStoredJson(JSON.stringify({ data: { a: 1 }, computedAt: COMPUTED_AT }), 'u');
    expect(response.body('l1', false)).toBe(response.l1Body);
    expect(response.etag('l1', false)).toBe(response.l1ETag);
    expect(response.body('l1', false)).toBe(response.body('l1', false));
  });

  it('ETags are strong, one per distinct body, equal for equal bodies', () => {
    const make = (data: unknown, userId = 'u', computedAt = COMPUTED_AT) => AggregateResponse.fromStoredJson(JSON.stringify({ data, computedAt }), userId);
    const a = make({ n: 1 });
    const tags = new Map<string, string>();
    for (const response of [a, make({ n: 2 }), make({ n: 1 }, 'v'), make({ n: 1 }, 'u', '2026-11-30T05:00:01.000Z')]) {
      for (const tier of TIERS) {
        for (const refreshing of [false, true]) {
          const tag = response.etag(tier, refreshing);
          expect(tag).toMatch(/^"[A-Za-z0-9_-]+"$/);
          const body = response.body(tier, refreshing).toString('utf8');
          expect(tags.has(tag) ? tags.get(tag) : body).toBe(body);
          tags.set(tag, body);
        }
      }
    }
    expect(tags.size).toBe(4 * TIERS.length * 2);
    expect(make({ n: 1 }).etag('l2', false)).toBe(a.etag('l2', false));
  });

  it('the ETag is the SHA-1 of everything before the tier, plus the tier', () => {
    const response = AggregateResponse.fromStoredJson('{"data":{"a":1},"computedAt":"2026-11-30T05:00:00.123Z"}', 'u');
    const head = '{"data":{"a":1},"meta":{"userId":"u","computedAt":"2026-11-30T05:00:00.123Z","cache":';
    const sha1 = createHash('sha1').update(head).digest('base64url');
    expect([response.etag('l1', false), response.etag('db', true)]).toEqual([`"${sha1}-l1"`, `"${sha1}-db-r"`]);
  });

  it('text in another layout (key order, spaces) is parsed and serialized as res.json would', () => {
    const response = AggregateResponse.fromStoredJson(`{ "computedAt": "${COMPUTED_AT}", "data": { "b" : [1, 2] } }`, 'u');
    expect(response.l1Body.toString('utf8')).toBe(expectedBody({ b: [1, 2] }, 'u', 'l1', false));
    // A computedAt inside the data, last in its object: the envelope's is the text's last one.
    const inner = AggregateResponse.fromStoredJson(`{"data":{"x":{"a":1,"computedAt":"2026-01-01T00:00:00.000Z"}},"computedAt":"${COMPUTED_AT}"}`, 'u');
    expect(JSON.parse(inner.l1Body.toString('utf8'))).toEqual({ data: { x: { a: 1, computedAt: '2026-01-01T00:00:00.000Z' } }, meta: { userId: 'u', computedAt: COMPUTED_AT, cache: 'l1' } });
  });
});
