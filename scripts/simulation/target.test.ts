import type { RuntimeMode } from '@shared/config/config';
import { chooseTarget, describeTarget, readinessModeProbe, serversConfiguredBy, type TargetInputs } from './target';

const DEFAULT_URL = 'http://127.0.0.1:3000';
const inputs = (overrides: Partial<TargetInputs> = {}): TargetInputs => ({ via: null, url: null, key: null, defaultUrl: DEFAULT_URL, serversConfigured: [], ...overrides });

/** A probe that answers `mode` and records whether it was asked. */
function probe(mode: RuntimeMode | null) {
  const asked: string[] = [];
  return { asked, apiMode: async (url: string) => (asked.push(url), mode) };
}

describe('chooseTarget: what pnpm simulate reaches with no --via', () => {
  it.each([
    ['the embedded API answers', 'embedded', { via: 'http', mode: 'embedded', url: DEFAULT_URL }],
    ['a server-mode API answers', 'server', { via: 'publisher', mode: 'server' }],
    ['no API answers', null, { via: 'publisher', mode: 'server' }],
  ] as const)('nothing configured and %s', async (_what, mode, expected) => {
    const api = probe(mode);
    expect(await chooseTarget(inputs(), api.apiMode)).toMatchObject(expected);
    expect(api.asked).toEqual([DEFAULT_URL]);
  });

  it('servers configured: the queues, and nothing listening on the default port is asked', async () => {
    const api = probe('embedded');
    expect(await chooseTarget(inputs({ serversConfigured: ['DATABASE_URL', 'REDIS_URL'] }), api.apiMode)).toMatchObject({ via: 'publisher', why: 'DATABASE_URL, REDIS_URL set' });
    expect(api.asked).toEqual([]);
  });

  it.each([
    [{ via: 'publisher' }, { via: 'publisher' }],
    [{ via: 'http' }, { via: 'http', url: DEFAULT_URL }],
    [{ url: 'http://10.0.0.5:8080' }, { via: 'http', url: 'http://10.0.0.5:8080' }],
    [{ key: 'an-ingest-key-0000' }, { via: 'http', url: DEFAULT_URL }],
  ] as const)('flags decide outright: %j', async (flags, expected) => {
    const api = probe('embedded');
    expect(await chooseTarget(inputs({ ...flags, serversConfigured: ['REDIS_URL'] }), api.apiMode)).toMatchObject(expected);
    expect(api.asked).toEqual([]);
  });

  it('says where the messages go and why, never a key', async () => {
    const embedded = await chooseTarget(inputs(), probe('embedded').apiMode);
    expect(describeTarget(embedded, { queuePrefix: 'bull', redis: '127.0.0.1:6379', keySource: 'a key from API_KEYS' })).toBe(
      'simulate: embedded mode (the API at http://127.0.0.1:3000 runs embedded (no Redis)): POST http://127.0.0.1:3000/api/events and /api/sessions, a key from API_KEYS',
    );
    const server = await chooseTarget(inputs(), probe(null).apiMode);
    expect(describeTarget(server, { queuePrefix: 'bull', redis: '127.0.0.1:6379', keySource: null })).toBe(
      'simulate: server mode (no API answers at http://127.0.0.1:3000): publishing into the BullMQ queues on Redis 127.0.0.1:6379, prefix bull',
    );
  });
});

describe('serversConfiguredBy: what pnpm start reads as servers configured', () => {
  it.each([
    [{}, []],
    [{ DATABASE_URL: '' }, []],
    [{ DATABASE_URL: 'postgresql://db/x', REDIS_URL: 'redis://r' }, ['DATABASE_URL', 'REDIS_URL']],
    [{ REDIS_CLUSTER_NODES: 'a:1,b:2' }, ['REDIS_CLUSTER_NODES']],
    [{ NODE_ENV: 'production' }, ['NODE_ENV=production']],
  ])('%j → %j', (env, names) => {
    expect(serversConfiguredBy(env)).toEqual(names);
  });
});

describe('readinessModeProbe', () => {
  const answering = (status: number, body: unknown): typeof fetch => (async () => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status })) as typeof fetch;

  it.each([
    ['embedded, ready', 200, { status: 'ok', mode: 'embedded', absent: ['redis', 'l2'], checks: { postgres: { ok: true } } }, 'embedded'],
    ['embedded, a dependency down', 503, { status: 'unavailable', mode: 'embedded', absent: ['redis'], checks: { postgres: { ok: false } } }, 'embedded'],
    ['server mode', 200, { status: 'ok', checks: { redis: { ok: true } } }, 'server'],
    ['another program', 200, '<html>hello</html>', null],
    ['another JSON API', 404, { error: 'not found' }, null],
  ] as const)('%s (HTTP %i)', async (_what, status, body, mode) => {
    expect(await readinessModeProbe({ fetch: answering(status, body) })(DEFAULT_URL)).toBe(mode);
  });

  it('nothing listening → null', async () => {
    const refused = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    expect(await readinessModeProbe({ fetch: refused })(DEFAULT_URL)).toBeNull();
  });
});
