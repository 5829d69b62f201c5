import { L1Cache, L1Entry } from './l1-cache';
import { decodeEntry, encodeEntry } from './l2-cache';

const key = (user: string, aggregate = 'patterns') => `p:{u:${user}}:a:${aggregate}:p:all`;
/** The cache's key space, as far as L1 needs it: the user of a key. */
const userOf = (k: string) => /\{u:([^}]+)\}/.exec(k)?.[1] ?? null;

describe('L1Entry', () => {
  it('parses its text once, on first use, into a value every reader shares (frozen)', () => {
    const parse = jest.spyOn(JSON, 'parse');
    const entry = new L1Entry(key('a'), '{"n":{"m":[1]}}', 1, 2);
    expect(parse).not.toHaveBeenCalled();
    const value = entry.value as { n: { m: number[] } };
    expect(value).toEqual({ n: { m: [1] } });
    expect(entry.value).toBe(value);
    expect(Object.isFrozen(value.n.m)).toBe(true);
    expect(parse).toHaveBeenCalledTimes(1);
    parse.mockRestore();
  });

  it('keeps a value handed to it (no parse) and freezes it', () => {
    const given = { a: [1] };
    const entry = new L1Entry(key('a'), '{"a":[1]}', 1, 2, given);
    expect(entry.value).toBe(given);
    expect(Object.isFrozen(given.a)).toBe(true);
  });

  it('prepares once per function, with the text and the key', () => {
    const entry = new L1Entry(key('b'), '{"x":1}', 1, 2);
    const prepare = jest.fn((json: string, k: string) => ({ json, k }));
    const first = entry.preparedWith(prepare, 'l1');
    expect(entry.preparedWith(prepare, 'l1')).toBe(first);
    expect(prepare).toHaveBeenCalledTimes(1);
    expect(first).toEqual({ json: '{"x":1}', k: key('b') });
    const other = jest.fn(() => 'other');
    expect(entry.preparedWith(other, 'l2')).toBe('other');
    expect(other).toHaveBeenCalledTimes(1);
  });
});

describe('L1Cache', () => {
  it('counts an entry as twice its text against the byte bound, and drops a user’s entries', () => {
    const l1 = new L1Cache({ maxEntries: 10, maxBytes: 1_000, userOf });
    const stored = l1.set(key('c'), { json: '{"n":1}', expiresAt: Date.now() + 1_000, staleUntil: Date.now() + 2_000 });
    expect(l1.get(key('c'))).toBe(stored);
    expect(l1.bytes).toBe(14);
    l1.set(key('c', 'objectives'), { json: '1', expiresAt: Date.now() + 1_000, staleUntil: Date.now() + 2_000 });
    l1.set(key('other'), { json: '2', expiresAt: Date.now() + 1_000, staleUntil: Date.now() + 2_000 });
    expect(l1.deleteUser('c')).toBe(2);
    expect([l1.get(key('c')), l1.get(key('c', 'objectives')), l1.size]).toEqual([undefined, undefined, 1]);
  });

  it('keeps the entry with the smallest LRU footprint within maxBytes', () => {
    const l1 = new L1Cache({ maxEntries: 10, maxBytes: 20, userOf });
    l1.set(key('d'), { json: '"0123456789"', expiresAt: Date.now() + 1_000, staleUntil: Date.now() + 2_000 });
    expect(l1.size).toBe(0);
  });
});

describe('L2 entry text', () => {
  it('decodes times and the value text without parsing the value', () => {
    const value = '{"data":{"a":[1,"}"]},"computedAt":"2026-11-30T05:00:00.000Z"}';
    const parse = jest.spyOn(JSON, 'parse');
    expect(decodeEntry(encodeEntry(value, 1_700_000_000_123, 1_700_000_060_123))).toEqual({ json: value, expiresAt: 1_700_000_000_123, staleUntil: 1_700_000_060_123 });
    expect(parse).not.toHaveBeenCalled();
    parse.mockRestore();
  });

  it('reads text in another layout by parsing it', () => {
    expect(decodeEntry('{"s":20,"v":{"a": 1},"e":10}')).toEqual({ json: '{"a":1}', expiresAt: 10, staleUntil: 20 });
  });
});
