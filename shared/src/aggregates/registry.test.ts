import { z } from 'zod';
import { emptyDigest } from './user-digest';
import { computationOf } from './computation';
import { AGGREGATE_NAMES, AGGREGATES, type AggregateDefinition, isAggregateName, periodKeyFor, STORED_AGGREGATE_KEYS } from './registry';

describe('the aggregate registry', () => {
  it('stores an aggregate with a period once per period, the others once as "-"', () => {
    expect(periodKeyFor('missions/summary')).toBe('30d');
    expect(periodKeyFor('struggle-reduction')).toBe('90d');
    expect(periodKeyFor('missions/summary', 'all')).toBe('all');
    expect(periodKeyFor('patterns', '7d')).toBe('-');
    const withPeriod = AGGREGATE_NAMES.filter((name) => (AGGREGATES[name] as AggregateDefinition).defaultPeriod);
    expect(withPeriod).toEqual(['missions/summary', 'struggle-reduction']);
    expect(STORED_AGGREGATE_KEYS).toHaveLength(AGGREGATE_NAMES.length - withPeriod.length + 4 * withPeriod.length);
  });

  it('knows its names, and no name of Object.prototype', () => {
    expect(isAggregateName('objectives')).toBe(true);
    expect(isAggregateName('constructor')).toBe(false);
    expect(isAggregateName('objectives/')).toBe(false);
  });

  it('computes, for an unknown user, data each entry\'s own schema accepts', () => {
    const computation = computationOf(emptyDigest('nobody', new Date('2026-06-01T12:00:00Z')));
    for (const { aggregate, period } of STORED_AGGREGATE_KEYS) {
      const definition = AGGREGATES[aggregate] as AggregateDefinition;
      expect({ aggregate, period, problems: definition.schema.safeParse(definition.compute(computation, period as never)).error?.issues ?? [] }).toEqual({ aggregate, period, problems: [] });
    }
  });

  it('rejects an incomplete entry at compile time (pnpm typecheck runs this file)', () => {
    // @ts-expect-error no formula: an entry needs every field of AggregateDefinition.
    const incomplete: AggregateDefinition = { summary: 'x', ttlClass: 'cognitiveLoad', schema: z.object({}) };
    // @ts-expect-error a TTL class that SPEC 6 does not have.
    const unknownClass: AggregateDefinition = { summary: 'x', ttlClass: 'hourly', schema: z.object({}), compute: () => ({}) };
    expect([incomplete, unknownClass]).toHaveLength(2);
  });
});
