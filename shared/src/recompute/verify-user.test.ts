import { jsonDifferences } from './verify-user';

describe('jsonDifferences', () => {
  it('finds nothing between equal values, whatever the key order', () => {
    expect(jsonDifferences({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toEqual([]);
  });

  it('names the path of each differing value', () => {
    const stored = { completed: 999, byHourOfDay: [{ hour: 0, accuracy: 0.5 }, { hour: 1, accuracy: null }], level: 'LOW' };
    const fresh = { completed: 3, byHourOfDay: [{ hour: 0, accuracy: 0.5 }, { hour: 1, accuracy: 0.25 }], level: 'LOW', extra: true };
    expect(jsonDifferences(stored, fresh)).toEqual([
      { path: 'byHourOfDay[1].accuracy', stored: null, fresh: 0.25 },
      { path: 'completed', stored: 999, fresh: 3 },
      { path: 'extra', stored: undefined, fresh: true },
    ]);
  });

  it('reports a different array length and at most the limit', () => {
    expect(jsonDifferences([1, 2, 3], [1, 2])).toEqual([{ path: '(whole).length', stored: 3, fresh: 2 }]);
    expect(jsonDifferences({ a: 1, b: 2, c: 3 }, { a: 0, b: 0, c: 0 }, 2)).toHaveLength(2);
    expect(jsonDifferences(1, '1')).toEqual([{ path: '(whole)', stored: 1, fresh: '1' }]);
  });
});
