import { instantMs, readJobTrace } from './job-trace';

const AT = Date.UTC(2026, 11, 7, 9, 0, 0);

describe('instantMs', () => {
  it.each([
    ['ISO with Z', '2026-12-07T09:00:00Z', AT],
    ['ISO with an offset', '2026-12-07T10:00:00+01:00', AT],
    ['ISO with milliseconds', '2026-12-07T09:00:00.250Z', AT + 250],
    ['epoch ms as a number', AT, AT],
    ['epoch ms as a string of digits', String(AT), AT],
  ])('accepts %s', (_what, value, expected) => {
    expect(instantMs(value)).toBe(expected);
  });

  it.each([
    ['epoch seconds (1970 as milliseconds)', '1733555555'],
    ['epoch seconds as a number', 1_733_555_555],
    ['a time without a zone', '2026-12-07T09:00:00'],
    ['a date alone', '2026-12-07'],
    ['words Date.parse would take', 'Dec 7 2026 09:00 GMT'],
    ['garbage', 'yesterday'],
    ['an empty string', ''],
    ['a fraction of a millisecond', AT + 0.5],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a negative number', -1],
    ['after 2100', Date.UTC(2100, 0, 1)],
    ['an object', { at: AT }],
    ['a boolean', true],
    ['null', null],
  ])('ignores %s', (_what, value) => {
    expect(instantMs(value)).toBeNull();
  });
});

describe('readJobTrace', () => {
  it('reads both fields, and nothing is ignored', () => {
    expect(readJobTrace({ publishedAt: '2026-12-07T09:00:00Z', requestId: 'req-1:a.b_c' })).toEqual({ publishedAtMs: AT, requestId: 'req-1:a.b_c', ignored: [] });
    expect(readJobTrace({ publishedAt: String(AT) })).toEqual({ publishedAtMs: AT, ignored: [] });
  });

  it('no _trace is nothing to ignore (a job from another client may leave it out)', () => {
    expect(readJobTrace(undefined)).toEqual({ publishedAtMs: null, ignored: [] });
    expect(readJobTrace(null)).toEqual({ publishedAtMs: null, ignored: [] });
    expect(readJobTrace({})).toEqual({ publishedAtMs: null, ignored: [] });
  });

  it('names what it ignores: a _trace that is no object, a publishedAt that is no instant, a requestId unfit for a log line', () => {
    expect(readJobTrace('2026-12-07T09:00:00Z')).toEqual({ publishedAtMs: null, ignored: ['_trace'] });
    expect(readJobTrace([AT])).toEqual({ publishedAtMs: null, ignored: ['_trace'] });
    expect(readJobTrace({ publishedAt: 'soon', requestId: 'ok-id' })).toEqual({ publishedAtMs: null, requestId: 'ok-id', ignored: ['publishedAt'] });
    expect(readJobTrace({ publishedAt: AT, requestId: 'has spaces\nand a newline' })).toEqual({ publishedAtMs: AT, ignored: ['requestId'] });
    expect(readJobTrace({ publishedAt: AT, requestId: 42 })).toEqual({ publishedAtMs: AT, ignored: ['requestId'] });
    expect(readJobTrace({ publishedAt: AT, requestId: 'x'.repeat(129) }).ignored).toEqual(['requestId']);
  });
});
