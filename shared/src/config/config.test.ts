import fc from 'fast-check';
import { ConfigError, loadConfig, ROLES } from './config';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the defaults of SPEC section 2', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.database).toEqual({ url: 'postgresql://postgres@127.0.0.1:5432/analytics', connectionLimit: 60 });
    expect(config.redis).toEqual({ mode: 'standalone', url: 'redis://127.0.0.1:6379', password: undefined, db: undefined });
    expect(config.queuePrefix).toBe('bull');
    expect(config.apiKeys).toEqual([]);
    expect(config.logLevel).toBe('info');
  });

  it('sizes the pool at 45 in production and honours DATABASE_CONNECTION_LIMIT', () => {
    expect(loadConfig({ NODE_ENV: 'production', API_KEYS: 'read:0123456789abcdef' }).database.connectionLimit).toBe(45);
    expect(loadConfig({ DATABASE_CONNECTION_LIMIT: '12' }).database.connectionLimit).toBe(12);
  });

  it('builds the Redis URL from REDIS_HOST/PORT/DB/PASSWORD when REDIS_URL is absent', () => {
    const config = loadConfig({ REDIS_HOST: 'cache.local', REDIS_PORT: '6380', REDIS_DB: '2', REDIS_PASSWORD: 's3cret' });
    expect(config.redis).toEqual({ mode: 'standalone', url: 'redis://cache.local:6380', password: 's3cret', db: 2 });
  });

  it('switches to cluster mode with a hash-tagged default queue prefix', () => {
    const config = loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000, 127.0.0.1:7001' });
    expect(config.redis).toEqual({
      mode: 'cluster',
      nodes: [
        { host: '127.0.0.1', port: 7000 },
        { host: '127.0.0.1', port: 7001 },
      ],
      password: undefined,
    });
    expect(config.queuePrefix).toBe('{bull}');
    expect(loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000', QUEUE_PREFIX: '{sa}' }).queuePrefix).toBe('{sa}');
  });

  it('parses API keys with roles', () => {
    const config = loadConfig({ API_KEYS: 'ingest:aaaaaaaaaaaaaaaa,read:bbbbbbbbbbbbbbbb,admin:cccccccccccccccc' });
    expect(config.apiKeys.map((k) => k.role)).toEqual(['ingest', 'read', 'admin']);
  });

  it('names every bad variable, one message each', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://x',
      REDIS_URL: 'http://nope',
      API_KEYS: 'root:0123456789abcdef',
      LOG_LEVEL: 'loud',
      DATABASE_CONNECTION_LIMIT: '0',
    });
    for (const name of ['PORT', 'DATABASE_URL', 'REDIS_URL', 'API_KEYS', 'LOG_LEVEL', 'DATABASE_CONNECTION_LIMIT']) {
      expect(problems.some((p) => p.startsWith(`${name}:`))).toBe(true);
    }
  });

  it('refuses production without keys, short keys and malformed cluster nodes', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([expect.stringContaining('API_KEYS: required')]);
    expect(problemsOf({ API_KEYS: 'read:short' })).toEqual([expect.stringContaining('at least 16')]);
    expect(problemsOf({ REDIS_CLUSTER_NODES: 'localhost' })).toEqual([expect.stringContaining('host:port')]);
    // Without a hash tag, BullMQ's multi-key scripts would fail with CROSSSLOT on a cluster.
    for (const prefix of ['bull', 'a{}b{c}', 'tq}x{']) {
      expect(problemsOf({ REDIS_CLUSTER_NODES: '127.0.0.1:7000', QUEUE_PREFIX: prefix })).toEqual([expect.stringContaining('QUEUE_PREFIX: must hold a {hash-tag}')]);
    }
    expect(loadConfig({ QUEUE_PREFIX: 'bull' }).queuePrefix).toBe('bull');
  });

  it('names a bad API_KEYS entry by position and role, never by its text', () => {
    // What the process prints at start (main.ts writes the ConfigError's message to stderr).
    const startupLine = (apiKeys: string) => {
      try {
        loadConfig({ API_KEYS: apiKeys });
      } catch (error) {
        if (error instanceof ConfigError) return error.message;
        throw error;
      }
      throw new Error('expected a ConfigError');
    };
    // A secret part: key-like text with a digit, so it cannot be a word of the message itself.
    const secret = (minLength: number, maxLength: number) =>
      fc.string({ unit: fc.constantFrom(...'ABCXYZabcxyz0123456789_-.~+/=:'), minLength, maxLength }).filter((text) => /\d/.test(text) && text.trim() === text);
    const role = fc.constantFrom(...ROLES);
    // Each entry and the text in it that must never be printed.
    const malformed = fc.oneof(
      secret(8, 40).filter((key) => !key.includes(':')).map((key) => ({ entry: key, secret: key })), // the role forgotten
      fc.tuple(secret(8, 40), role).map(([key, r]) => ({ entry: `${key}:${r}`, secret: key })), // role and key swapped
      secret(8, 40).map((key) => ({ entry: `:${key}`, secret: key })), // no role
      fc.tuple(fc.constantFrom('root', 'reader', 'Read', 'ingester'), secret(8, 40)).map(([r, key]) => ({ entry: `${r}:${key}`, secret: key })), // an unknown role
      fc.tuple(role, secret(8, 15)).map(([r, key]) => ({ entry: ` ${r} : ${key} `, secret: key })), // a key too short, still a key
    );
    const valid = fc.tuple(role, secret(16, 40)).map(([r, key]) => ({ entry: `${r}:${key}`, secret: key }));
    const entries = fc.tuple(fc.array(valid, { maxLength: 3 }), fc.array(malformed, { minLength: 1, maxLength: 3 })).chain(([good, bad]) => fc.shuffledSubarray([...good, ...bad], { minLength: good.length + bad.length }));
    fc.assert(
      fc.property(entries, (list) => {
        const line = startupLine(list.map((e) => e.entry).join(','));
        for (const { secret: text } of list) expect(line).not.toContain(text);
        expect(line).toMatch(new RegExp(`API_KEYS: entry \\d+ of ${list.length}`));
      }),
      { numRuns: 500 },
    );
    expect(startupLine('read:0123456789abcdef,0123456789abcdef-forgot-the-role')).toBe(
      'Invalid configuration:\n  - API_KEYS: entry 2 of 2 is not role:key with a role of ingest, read, admin (its text is not shown: it may hold a key)',
    );
    expect(startupLine('admin:short-key-1')).toContain('API_KEYS: entry 1 of 1 (admin): the key must be at least 16 characters');
  });

  it('parses cache TTL overrides and rejects malformed ones', () => {
    // Every class's TTL, the overridden ones replaced (the origin report's 2 and 10 minutes otherwise).
    expect(loadConfig({ CACHE_TTL_OVERRIDES: 'cognitiveLoad=1000, behavioralPatterns=20000' }).cache.ttlMs).toMatchObject({
      cognitiveLoad: 1000,
      behavioralPatterns: 20000,
      learningObjectives: 30 * 60_000,
    });
    expect(loadConfig({}).cache.ttlMs).toMatchObject({ cognitiveLoad: 2 * 60_000, behavioralPatterns: 10 * 60_000 });
    expect(problemsOf({ CACHE_TTL_OVERRIDES: 'cognitiveLoad:1000' })).toEqual([expect.stringContaining('CACHE_TTL_OVERRIDES')]);
  });

  it('refuses a CACHE_TTL_OVERRIDES name that is no query type, one line naming the entry', () => {
    expect(problemsOf({ CACHE_TTL_OVERRIDES: 'noSuchQueryType=1000' })).toEqual([
      'CACHE_TTL_OVERRIDES: entry 1 of 1 "noSuchQueryType=1000": unknown query type "noSuchQueryType" (one of analyticsUserData, behavioralPatterns, missionSummaries, performanceMetrics, cognitiveLoad, learningObjectives, strugglePredictions, recommendations)',
    ]);
    // A typo among good entries is named by its position; the good ones do not hide it.
    expect(problemsOf({ CACHE_TTL_OVERRIDES: 'cognitiveLoad=1000,cognitveLoad=60000' })).toEqual([expect.stringMatching(/^CACHE_TTL_OVERRIDES: entry 2 of 2 "cognitveLoad=60000": unknown query type/)]);
    // Case matters: the names are the TTL table's keys.
    expect(problemsOf({ CACHE_TTL_OVERRIDES: 'CognitiveLoad=1000' })).toHaveLength(1);
  });

  describe('user tokens and CORS (SPEC 4.1)', () => {
    const secret = 'x'.repeat(32);

    it('accepts only API keys and no browser origin unless told otherwise', () => {
      expect(loadConfig({})).toMatchObject({ userTokens: null, corsOrigins: [] });
    });

    it('verifies HS256 with AUTH_JWT_SECRET, or the JWKS of AUTH_JWKS_URL with cached keys, checking issuer and audience when set', () => {
      expect(loadConfig({ AUTH_JWT_SECRET: secret, AUTH_JWT_ISSUER: 'https://app.example.com', AUTH_JWT_AUDIENCE: 'analytics' }).userTokens).toEqual({
        keys: { kind: 'secret', secret },
        issuer: 'https://app.example.com',
        audience: 'analytics',
        maxAgeSeconds: 86_400,
      });
      expect(loadConfig({ NODE_ENV: 'production', API_KEYS: 'read:0123456789abcdef', AUTH_JWKS_URL: 'https://app.example.com/.well-known/jwks.json' }).userTokens).toEqual({
        keys: { kind: 'jwks', url: 'https://app.example.com/.well-known/jwks.json', cooldownMs: 30_000, cacheMaxAgeMs: 600_000 },
        issuer: undefined,
        audience: undefined,
        maxAgeSeconds: 86_400,
      });
    });

    it('bounds a token\'s age since iat: AUTH_JWT_MAX_AGE in seconds or with a unit, a day by default, refused when it means nothing', () => {
      expect(loadConfig({ AUTH_JWT_SECRET: secret }).userTokens?.maxAgeSeconds).toBe(86_400);
      for (const [value, seconds] of [['3600', 3_600], ['90m', 5_400], ['12h', 43_200], ['7d', 604_800], ['120s', 120]] as const) {
        expect(loadConfig({ AUTH_JWT_SECRET: secret, AUTH_JWT_MAX_AGE: value }).userTokens?.maxAgeSeconds).toBe(seconds);
      }
      expect(problemsOf({ AUTH_JWT_SECRET: secret, AUTH_JWT_MAX_AGE: '10 years' })).toEqual([expect.stringMatching(/^AUTH_JWT_MAX_AGE: must be a duration/)]);
      expect(problemsOf({ AUTH_JWT_SECRET: secret, AUTH_JWT_MAX_AGE: '31d' })).toEqual(['AUTH_JWT_MAX_AGE: must be at most 30 days']);
      expect(problemsOf({ AUTH_JWT_SECRET: secret, AUTH_JWT_MAX_AGE: '10' })).toEqual(['AUTH_JWT_MAX_AGE: must be at least 60 s']);
      expect(problemsOf({ AUTH_JWT_MAX_AGE: '1h' })).toEqual(['AUTH_JWT_MAX_AGE: has no effect without AUTH_JWT_SECRET or AUTH_JWKS_URL']);
    });

    it('allows a plain-http JWKS outside production (a study app on this machine)', () => {
      expect(loadConfig({ AUTH_JWKS_URL: 'http://127.0.0.1:4000/jwks.json' }).userTokens?.keys).toMatchObject({ kind: 'jwks', url: 'http://127.0.0.1:4000/jwks.json' });
    });

    it('parses CORS_ORIGINS as a comma list of origins', () => {
      expect(loadConfig({ CORS_ORIGINS: 'https://dashboard.example.com, http://localhost:5173' }).corsOrigins).toEqual(['https://dashboard.example.com', 'http://localhost:5173']);
    });

    it('refuses a short secret, a plain-http JWKS in production, both key sources, and what is not an origin, one line each', () => {
      expect(problemsOf({ AUTH_JWT_SECRET: 'short-secret' })).toEqual(['AUTH_JWT_SECRET: must be at least 32 bytes (HS256 needs a 256-bit secret)']);
      expect(problemsOf({ NODE_ENV: 'production', API_KEYS: 'read:0123456789abcdef', AUTH_JWKS_URL: 'http://app.example.com/jwks.json' })).toEqual([
        'AUTH_JWKS_URL: must be https:// when NODE_ENV=production',
      ]);
      expect(problemsOf({ AUTH_JWT_SECRET: secret, AUTH_JWKS_URL: 'https://app.example.com/jwks.json' })).toEqual([
        'AUTH_JWKS_URL: set either AUTH_JWT_SECRET (HS256) or AUTH_JWKS_URL (RS256/ES256), not both',
      ]);
      expect(problemsOf({ AUTH_JWKS_URL: 'app.example.com/jwks.json' })).toEqual([expect.stringMatching(/^AUTH_JWKS_URL: must be an http\(s\):\/\/ URL/)]);
      expect(problemsOf({ AUTH_JWT_AUDIENCE: 'analytics' })).toEqual(['AUTH_JWT_AUDIENCE: has no effect without AUTH_JWT_SECRET or AUTH_JWKS_URL']);
      for (const origin of ['*', 'https://dashboard.example.com/', 'https://dashboard.example.com/app', 'dashboard.example.com', 'ftp://dashboard.example.com']) {
        expect(problemsOf({ CORS_ORIGINS: origin })).toEqual([expect.stringMatching(/^CORS_ORIGINS: ".*" is not an origin/)]);
      }
      for (const problem of [...problemsOf({ AUTH_JWT_SECRET: 'short-secret' }), ...problemsOf({ AUTH_JWT_SECRET: secret, AUTH_JWKS_URL: 'https://a.example/jwks' })]) {
        expect(problem).not.toMatch(/short-secret|xxxx/);
        expect(problem).not.toContain('\n');
      }
    });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', REDIS_URL: '' }).port).toBe(3000);
  });
  it('leaves worker locks to each worker unless WORKER_LOCK_DURATION_MS / WORKER_STALLED_INTERVAL_MS are set', () => {
    expect(loadConfig({}).workerLocks).toEqual({ lockDurationMs: { ingest: 15_000, recompute: 30_000, maintenance: 30_000 }, stalledIntervalMs: 5_000 });
    expect(loadConfig({ WORKER_LOCK_DURATION_MS: '2000', WORKER_STALLED_INTERVAL_MS: '500' }).workerLocks).toEqual({
      lockDurationMs: { ingest: 2000, recompute: 2000, maintenance: 2000 },
      stalledIntervalMs: 500,
    });
    expect(problemsOf({ WORKER_LOCK_DURATION_MS: '10', WORKER_STALLED_INTERVAL_MS: 'often' }).map((p) => p.split(':')[0])).toEqual(['WORKER_LOCK_DURATION_MS', 'WORKER_STALLED_INTERVAL_MS']);
  });
});
