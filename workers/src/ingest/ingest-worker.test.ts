import { earliestPerUser, type IngestRow } from './ingest-worker';

describe('earliestPerUser', () => {
  const at = (iso: string) => Date.parse(iso);

  it('keeps, per user, the row published first, compared as instants', () => {
    // As text "…T09:30:00Z" sorts before "…T10:00:00+01:00", which is half an hour earlier.
    const rows: IngestRow[] = [
      { userId: 'u1', publishedAtMs: at('2026-12-07T09:30:00Z'), requestId: 'later' },
      { userId: 'u1', publishedAtMs: at('2026-12-07T10:00:00+01:00'), requestId: 'earlier' },
      { userId: 'u2', publishedAtMs: at('2026-12-07T08:00:00Z') },
      { userId: 'u1', publishedAtMs: at('2026-12-07T09:15:00Z') },
    ];
    expect(earliestPerUser(rows)).toEqual([
      { userId: 'u1', publishedAtMs: at('2026-12-07T09:00:00Z'), requestId: 'earlier' },
      { userId: 'u2', publishedAtMs: at('2026-12-07T08:00:00Z') },
    ]);
  });

  it('keeps the first of equal instants, and nothing for no rows', () => {
    const same = at('2026-12-07T09:00:00Z');
    expect(earliestPerUser([{ userId: 'u', publishedAtMs: same, requestId: 'a' }, { userId: 'u', publishedAtMs: same, requestId: 'b' }])).toEqual([{ userId: 'u', publishedAtMs: same, requestId: 'a' }]);
    expect(earliestPerUser([])).toEqual([]);
  });
});
