import { renderStartPage, type StartPageView } from './start-page';

const view = (overrides: Partial<StartPageView> = {}): StartPageView => ({
  url: 'http://localhost:3000',
  simulateFindsIt: true,
  runtime: { mode: 'embedded', absent: ['redis', 'l2'] },
  readiness: { ok: true, body: { status: 'ok', mode: 'embedded', absent: ['redis', 'l2'], checks: { postgres: { ok: true, latencyMs: 1.2 }, queues: { ok: true, latencyMs: 3 } } } },
  queues: [
    { name: 'behavioral-event', depth: 1234, active: 8, failed: 1 },
    { name: 'recompute', depth: null, active: null, failed: null },
  ],
  access: { open: true, userTokens: false },
  now: new Date('2026-12-07T08:00:00.000Z'),
  ...overrides,
});

const text = (markup: string) => markup.replace(/<[^>]+>/g, ' ').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&').replace(/\s+/g, ' ');

describe('the start page', () => {
  it('says what runs: mode, each check (Redis absent in the embedded mode), queue depth', () => {
    const page = text(renderStartPage(view()).markup);
    expect(page).toContain('embedded mode');
    expect(page).toContain('ready');
    expect(page).toContain('PostgreSQL: ok (1.2 ms)');
    expect(page).toContain('Redis: absent in this mode');
    expect(page).toContain('behavioral-event 1,234 8 1');
    // A queue that did not answer in time shows dashes, not zeros.
    expect(page).toContain('recompute — — —');
  });

  it('links the API reference, the demo, Bull Board and /metrics', () => {
    const hrefs = [...renderStartPage(view()).markup.matchAll(/href="([^"]+)"/g)].map((m) => m[1]);
    expect(hrefs).toEqual(expect.arrayContaining(['/docs', '/demo', '/admin/queues', '/metrics']));
  });

  it('gives the commands with this instance’s URL; without keys, none in them', () => {
    const page = text(renderStartPage(view()).markup);
    expect(page).toContain("curl -X POST http://localhost:3000/api/events -H 'Content-Type: application/json' \\ -d '{\"events\":[{\"eventId\":\"try-1796630400000\"");
    expect(page).toContain("curl 'http://localhost:3000/api/analytics/behavioral-insights/dashboard?userId=student-1'");
    expect(page).toContain('pnpm simulate -- --duration 60 --rate 50');
    expect(page).not.toContain('Authorization');
  });

  it('with keys required: placeholders for them (never a key), and --url for a URL the simulator would not find', () => {
    const page = text(renderStartPage(view({ access: { open: false, userTokens: true }, url: 'http://analytics.internal:8080', simulateFindsIt: false })).markup);
    expect(page).toContain('-H "Authorization: Bearer $INGEST_KEY"');
    expect(page).toContain('-H "Authorization: Bearer $READ_KEY"');
    expect(page).toContain('pnpm simulate -- --duration 60 --rate 50 --url http://analytics.internal:8080 --key "$INGEST_KEY"');
    expect(page).toContain('user tokens of the study app are accepted');
  });

  it('shows a dependency that is down, and escapes what it did not make', () => {
    const down = view({
      runtime: { mode: 'server', absent: [] },
      readiness: { ok: false, body: { status: 'unavailable', checks: { redis: { ok: false, error: 'unavailable' }, postgres: { ok: true, latencyMs: 1 }, queues: { ok: false, error: 'no answer within 2000 ms' } } } },
      url: 'http://<script>alert(1)</script>',
    });
    const markup = renderStartPage(down).markup;
    expect(text(markup)).toContain('not ready');
    expect(text(markup)).toContain('Redis: unavailable');
    expect(text(markup)).toContain('queues: no answer within 2000 ms');
    expect(markup).not.toContain('<script>');
  });
});
