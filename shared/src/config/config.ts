import { z } from 'zod';
import { NamedError } from '../errors/errors';
import { TTL_CLASSES, ttlTable, type TtlClass } from '../cache/ttl';

/**
 * Configuration from the environment (SPEC section 2), parsed once at start.
 * Components take only the slice they need (`Pick<Config, …>`), never `process.env`.
 */

export const ROLES = ['ingest', 'read', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export interface ApiKey {
  role: Role;
  key: string;
}

const intFrom = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const redisUrl = z
  .string()
  .trim()
  .refine((value) => /^rediss?:\/\/[^\s]+$/.test(value), 'must be a redis:// or rediss:// URL');

const postgresUrl = z
  .string()
  .trim()
  .refine((value) => /^postgres(ql)?:\/\/[^\s]+$/.test(value), 'must be a postgresql:// URL');

const clusterNodes = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const nodes = value.split(',').map((part) => part.trim()).filter(Boolean);
    const parsed = nodes.map((node) => {
      const match = /^([^:\s]+):(\d{1,5})$/.exec(node);
      if (!match) {
        ctx.addIssue({ code: 'custom', message: `"${node}" is not host:port` });
        return { host: '', port: 0 };
      }
      return { host: match[1]!, port: Number(match[2]) };
    });
    if (parsed.length === 0) ctx.addIssue({ code: 'custom', message: 'must list at least one host:port' });
    return parsed;
  });

// A bad entry is named by its position (and its role once that is one of ours), never by
// its text: a mistyped entry (`key:read`, a missing colon) is mostly a key, and this message
// goes to stderr and into the logs of whoever runs the process.
const apiKeys = z
  .string()
  .trim()
  .transform((value, ctx): ApiKey[] => {
    if (value === '') return [];
    const entries = value.split(',');
    return entries.map((entry, index) => {
      const separator = entry.indexOf(':');
      const role = separator > 0 ? entry.slice(0, separator).trim() : '';
      const key = separator > 0 ? entry.slice(separator + 1).trim() : '';
      const which = `entry ${index + 1} of ${entries.length}`;
      if (!(ROLES as readonly string[]).includes(role)) {
        ctx.addIssue({ code: 'custom', message: `${which} is not role:key with a role of ${ROLES.join(', ')} (its text is not shown: it may hold a key)` });
      } else if (key.length < 16) {
        ctx.addIssue({ code: 'custom', message: `${which} (${role}): the key must be at least 16 characters` });
      }
      return { role: role as Role, key };
    });
  });

const corsOrigins = z
  .string()
  .trim()
  .transform((value, ctx): string[] =>
    value
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map((entry) => {
        const origin = originOf(entry);
        if (!origin) ctx.addIssue({ code: 'custom', message: `"${entry}" is not an origin (scheme://host[:port], no path), e.g. https://dashboard.example.com` });
        return origin ?? entry;
      }),
  );

/** The origin a browser sends for `value`, or null if `value` is anything more or less than an origin. */
function originOf(value: string): string | null {
  try {
    const url = new URL(value);
    const bare = url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password && !value.endsWith('/');
    return bare && (url.protocol === 'https:' || url.protocol === 'http:') ? url.origin : null;
  } catch {
    return null;
  }
}

// HS256 is only as strong as its secret: RFC 7518 asks for at least the hash size, 256 bits.
const jwtSecret = z.string().refine((value) => Buffer.byteLength(value, 'utf8') >= 32, 'must be at least 32 bytes (HS256 needs a 256-bit secret)');

const jwksUrl = z
  .string()
  .trim()
  .refine((value) => /^https?:\/\/[^\s]+$/.test(value) && URL.canParse(value), 'must be an http(s):// URL of the study app\'s JWKS');

// A duration in seconds, or with a unit (`90s`, `15m`, `24h`, `7d`).
const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };
const durationSeconds = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+\s*[smhd]?$/, 'must be a duration: seconds, or a number with s, m, h or d (e.g. 24h)')
    .transform((value) => Number.parseInt(value, 10) * DURATION_UNITS[/[smhd]$/.exec(value)?.[0] ?? 's']!)
    .pipe(z.number().int().min(min, `must be at least ${min} s`).max(max, `must be at most ${max / 86_400} days`));

const cronExpression = z.string().trim().regex(/^(\S+\s+){4,5}\S+$/, 'must be a cron expression of 5 or 6 fields');

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: intFrom(0, 65535).default(3000),
  HOST: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._:-]{1,253}$/, 'must be an address or host name to listen on, e.g. 0.0.0.0 (every IPv4 interface), :: (every interface) or 127.0.0.1')
    .optional(),
  METRICS_PORT: intFrom(0, 65535).optional(),
  DATABASE_URL: postgresUrl.default('postgresql://postgres@127.0.0.1:5432/analytics'),
  DATABASE_CONNECTION_LIMIT: intFrom(1, 1000).optional(),
  REDIS_URL: redisUrl.optional(),
  REDIS_HOST: z.string().trim().min(1).optional(),
  REDIS_PORT: intFrom(1, 65535).optional(),
  REDIS_PASSWORD: z.string().optional(),
  REDIS_DB: intFrom(0, 15).optional(),
  REDIS_CLUSTER_NODES: clusterNodes.optional(),
  QUEUE_PREFIX: z.string().trim().regex(/^[A-Za-z0-9_:{}-]{1,64}$/, 'must be 1–64 characters of A-Z a-z 0-9 _ : - { }').optional(),
  CACHE_PREFIX: z.string().trim().regex(/^[A-Za-z0-9_:-]{1,64}$/, 'must be 1–64 characters of A-Z a-z 0-9 _ : -').default('sa'),
  API_KEYS: apiKeys.default([]),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BULL_BOARD_READ_ONLY: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  START_PAGE: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  RECOMPUTE_DEBOUNCE_MS: intFrom(0, 60_000).default(100),
  WORKER_CONCURRENCY: intFrom(1, 1000).default(50),
  WORKER_PROCESSES: intFrom(0, 256).optional(),
  RECOMPUTE_BATCH_USERS: intFrom(1, 1000).default(64),
  RECOMPUTE_BATCH_ROWS: intFrom(100, 10_000_000).default(25_000),
  WORKER_LOCK_DURATION_MS: intFrom(1_000, 600_000).optional(),
  WORKER_STALLED_INTERVAL_MS: intFrom(100, 600_000).optional(),
  RATE_LIMIT_PER_MINUTE: intFrom(1, 10_000_000).default(600),
  GENERATE_RATE_LIMIT_PER_MINUTE: intFrom(1, 10_000_000).default(60),
  METRICS_COLLECT_INTERVAL_MS: intFrom(100, 600_000).default(5_000),
  CRON_NIGHTLY_RECOMPUTE: cronExpression.default('0 3 * * *'),
  CRON_RETENTION: cronExpression.default('30 3 * * *'),
  CRON_CACHE_WARMING: cronExpression.default('0 * * * *'),
  RETENTION_RAW_MAX_AGE_DAYS: intFrom(1, 36500).optional(),
  RETENTION_SNAPSHOT_DAYS: intFrom(14, 36500).default(400),
  CACHE_L1_MAX_ENTRIES: intFrom(1, 10_000_000).default(50_000),
  CACHE_L1_MAX_BYTES: intFrom(1024, 8 * 1024 ** 3).default(256 * 1024 ** 2),
  CACHE_TTL_OVERRIDES: z.string().optional(),
  AUTH_JWT_SECRET: jwtSecret.optional(),
  AUTH_JWKS_URL: jwksUrl.optional(),
  AUTH_JWT_ISSUER: z.string().trim().min(1).optional(),
  AUTH_JWT_AUDIENCE: z.string().trim().min(1).optional(),
  AUTH_JWT_MAX_AGE: durationSeconds(60, 30 * 86_400).optional(),
  CORS_ORIGINS: corsOrigins.default([]),
  RUNTIME_MODE: z.enum(['server', 'embedded']).default('server'),
  EMBEDDED_DATA_DIR: z.string().trim().min(1).optional(),
});

export type RedisTarget =
  | { mode: 'standalone'; url: string; password?: string; db?: number }
  | { mode: 'cluster'; nodes: { host: string; port: number }[]; password?: string };

/**
 * Where the keys of the study app's user tokens come from (SPEC 4.1): a shared HS256
 * secret, or its JWKS (RS256 / ES256). The JWKS is cached for `cacheMaxAgeMs`; a token
 * whose key id is not in the cache fetches it again, at most once per `cooldownMs`, so a
 * rotated key is picked up without letting unknown key ids hammer the study app.
 */
export type UserTokenKeys = { kind: 'secret'; secret: string } | { kind: 'jwks'; url: string; cooldownMs: number; cacheMaxAgeMs: number };

export interface UserTokenConfig {
  keys: UserTokenKeys;
  issuer?: string;
  audience?: string;
  /**
   * How long after its `iat` a token is still accepted, whatever its `exp` says
   * (AUTH_JWT_MAX_AGE): a token minted with an `exp` years ahead is not a credential forever.
   */
  maxAgeSeconds: number;
}

/** AUTH_JWT_MAX_AGE's default: a day, longer than any dashboard session needs one token to live. */
export const USER_TOKEN_MAX_AGE_SECONDS = 24 * 3_600;

export const JWKS_CACHE_DEFAULTS = { cooldownMs: 30_000, cacheMaxAgeMs: 600_000 } as const;

export type RuntimeMode = 'server' | 'embedded';

export interface Config {
  env: 'development' | 'production' | 'test';
  /**
   * `server`: Redis + PostgreSQL servers. `embedded`: an embedded PostgreSQL and no Redis
   * (set by `pnpm start` for its worker processes when it chose that mode; see embeddedDefault).
   */
  mode: RuntimeMode;
  /** Where the embedded mode keeps its PostgreSQL cluster (EMBEDDED_DATA_DIR; absent: `.embedded/` in the project). */
  embeddedDataDir: string | null;
  port: number;
  /**
   * Where the process's HTTP listeners (the API; a worker's metrics) accept connections.
   * `host` null: every interface. Without API_KEYS every route is open, so by default only
   * loopback (`loopback-without-keys`); HOST chooses (`HOST`); with keys, every interface as
   * before (`all-interfaces`).
   */
  listen: { host: string | null; chosen: 'HOST' | 'loopback-without-keys' | 'all-interfaces' };
  /**
   * `pnpm start:worker` serves its own /metrics on this port (METRICS_PORT; 0: a free one,
   * logged), on `listen.host`, so Prometheus scrapes each worker process where it runs; null:
   * none. The worker processes of `pnpm start` never listen: its API serves their metrics.
   */
  metricsPort: number | null;
  database: { url: string; connectionLimit: number };
  redis: RedisTarget;
  queuePrefix: string;
  cachePrefix: string;
  apiKeys: ApiKey[];
  /** Verification of user-scoped tokens for the dashboard in a browser; null: API keys only. */
  userTokens: UserTokenConfig | null;
  /** Origins whose pages may call the analytics routes from a browser (CORS). */
  corsOrigins: string[];
  logLevel: string;
  bullBoardReadOnly: boolean;
  /** The start page at `/` (mode, health, queue depth, links, commands; no data, no secrets); false: `/` is a 404. */
  startPage: boolean;
  recomputeDebounceMs: number;
  workerConcurrency: number;
  /**
   * Worker processes `pnpm start` runs beside the API (0: the workers run in the API's own
   * process). Absent: one per core, so API, ingest and recomputes never share one event loop.
   */
  workerProcesses: number | null;
  /**
   * Recompute batches: users and rows of history per batch at most (the rest of the policy
   * is the batcher's own, workers/src/recompute/recompute-batcher.ts).
   */
  recomputeBatch: { maxUsers: number; maxRows: number };
  /** Ingest batches: rows per multi-row insert at most, and how long a lone row waits for others. */
  ingestBatch: { maxRows: number; maxWaitMs: number };
  /**
   * BullMQ job locks per worker: a job whose worker died is re-run by another worker after
   * its lock expires (found by the stalled check). WORKER_LOCK_DURATION_MS sets all three;
   * by default ingest 15 s, recompute and maintenance 30 s; stalled check every 5 s.
   */
  workerLocks: { lockDurationMs: { ingest: number; recompute: number; maintenance: number }; stalledIntervalMs: number };
  /** Ingest requests per API key per minute, counted across instances. */
  rateLimitPerMinute: number;
  /** Priority recomputes (POST /api/analytics/predictions/generate) per key or user per minute. */
  generateRateLimitPerMinute: number;
  /** How often the API reads queue depth and Redis figures for /metrics (scrapes only read the last values). */
  metricsCollectIntervalMs: number;
  cron: { nightlyRecompute: string; retention: string; cacheWarming: string };
  retention: { rawMaxAgeDays: number | null; snapshotDays: number };
  /** ttlMs: every TTL class's TTL, CACHE_TTL_OVERRIDES applied. */
  cache: { l1MaxEntries: number; l1MaxBytes: number; ttlMs: Record<TtlClass, number> };
}

/** Thrown when the environment is invalid: one line per bad variable, no stack needed. */
export class ConfigError extends NamedError {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

// A name that is not a TTL class would be accepted and then do nothing: a mistyped
// `cognitveLoad=60000` must stop the start like any other bad value (docs/configuration.md:
// every variable is validated), named by its entry (the text of an entry here is never a secret).
function parseTtlOverrides(raw: string | undefined, problems: string[]): Partial<Record<TtlClass, number>> {
  if (!raw || raw.trim() === '') return {};
  const overrides: Partial<Record<TtlClass, number>> = {};
  const entries = raw.split(',');
  entries.forEach((entry, index) => {
    const which = `entry ${index + 1} of ${entries.length} "${entry.trim()}"`;
    const match = /^\s*([A-Za-z]+)\s*=\s*(\d+)\s*$/.exec(entry);
    if (!match) {
      problems.push(`CACHE_TTL_OVERRIDES: ${which} is not ttlClass=milliseconds`);
      return;
    }
    if (!(TTL_CLASSES as readonly string[]).includes(match[1]!)) {
      problems.push(`CACHE_TTL_OVERRIDES: ${which}: unknown query type "${match[1]}" (one of ${TTL_CLASSES.join(', ')})`);
      return;
    }
    overrides[match[1] as TtlClass] = Number(match[2]);
  });
  return overrides;
}

function redisTargetFrom(env: z.infer<typeof envSchema>): RedisTarget {
  const password = env.REDIS_PASSWORD || undefined;
  if (env.REDIS_CLUSTER_NODES) return { mode: 'cluster', nodes: env.REDIS_CLUSTER_NODES, password };
  if (env.REDIS_URL) return { mode: 'standalone', url: env.REDIS_URL, password, db: env.REDIS_DB };
  const host = env.REDIS_HOST ?? '127.0.0.1';
  const port = env.REDIS_PORT ?? 6379;
  return { mode: 'standalone', url: `redis://${host}:${port}`, password, db: env.REDIS_DB };
}

/**
 * Redis Cluster hashes only the part between the first `{` and the next `}` when it is not
 * empty; BullMQ's scripts touch many keys of one queue, which must therefore share a tag.
 */
export function hasHashTag(key: string): boolean {
  const open = key.indexOf('{');
  return open >= 0 && key.indexOf('}', open + 1) > open + 1;
}

function userTokenProblems(env: z.infer<typeof envSchema>): string[] {
  const problems: string[] = [];
  if (env.AUTH_JWT_SECRET && env.AUTH_JWKS_URL) {
    problems.push('AUTH_JWKS_URL: set either AUTH_JWT_SECRET (HS256) or AUTH_JWKS_URL (RS256/ES256), not both');
  }
  // Over plain http, anyone on the network path could swap in keys of their own and sign a token for any user.
  if (env.AUTH_JWKS_URL && env.NODE_ENV === 'production' && !env.AUTH_JWKS_URL.startsWith('https://')) {
    problems.push('AUTH_JWKS_URL: must be https:// when NODE_ENV=production');
  }
  const verifies = Boolean(env.AUTH_JWT_SECRET || env.AUTH_JWKS_URL);
  for (const name of ['AUTH_JWT_ISSUER', 'AUTH_JWT_AUDIENCE', 'AUTH_JWT_MAX_AGE'] as const) {
    if (env[name] && !verifies) problems.push(`${name}: has no effect without AUTH_JWT_SECRET or AUTH_JWKS_URL`);
  }
  return problems;
}

function userTokensFrom(env: z.infer<typeof envSchema>): UserTokenConfig | null {
  const claims = { issuer: env.AUTH_JWT_ISSUER, audience: env.AUTH_JWT_AUDIENCE, maxAgeSeconds: env.AUTH_JWT_MAX_AGE ?? USER_TOKEN_MAX_AGE_SECONDS };
  if (env.AUTH_JWT_SECRET) return { keys: { kind: 'secret', secret: env.AUTH_JWT_SECRET }, ...claims };
  if (env.AUTH_JWKS_URL) return { keys: { kind: 'jwks', url: env.AUTH_JWKS_URL, ...JWKS_CACHE_DEFAULTS }, ...claims };
  return null;
}

/** The loopback address the API listens on when no API key protects it. */
export const LOOPBACK_HOST = '127.0.0.1';

function listenOf(env: z.infer<typeof envSchema>): Config['listen'] {
  if (env.HOST) return { host: env.HOST, chosen: 'HOST' };
  // Open mode (no keys) answers anyone who can connect: only this machine, unless HOST says otherwise.
  if (env.API_KEYS.length === 0) return { host: LOOPBACK_HOST, chosen: 'loopback-without-keys' };
  return { host: null, chosen: 'all-interfaces' };
}

/**
 * Whether `pnpm start` may choose the embedded mode by itself: no server is configured
 * (DATABASE_URL, REDIS_URL, REDIS_CLUSTER_NODES) and this is not production. It then still
 * checks that nothing answers on the default addresses.
 */
export function embeddedAllowed(source: NodeJS.ProcessEnv = process.env): boolean {
  const set = (name: string) => (source[name] ?? '') !== '';
  if ((source.NODE_ENV ?? 'development') === 'production') return false;
  return !set('DATABASE_URL') && !set('REDIS_URL') && !set('REDIS_CLUSTER_NODES');
}

/** Parses the environment. Throws a ConfigError that names every bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  const result = envSchema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const env = result.data;
  const problems: string[] = [];
  const ttlOverrides = parseTtlOverrides(env.CACHE_TTL_OVERRIDES, problems);
  if (env.NODE_ENV === 'production' && env.API_KEYS.length === 0) {
    problems.push('API_KEYS: required when NODE_ENV=production (comma list of role:key)');
  }
  if (env.REDIS_CLUSTER_NODES && env.QUEUE_PREFIX !== undefined && !hasHashTag(env.QUEUE_PREFIX)) {
    problems.push(`QUEUE_PREFIX: must hold a {hash-tag} with REDIS_CLUSTER_NODES (e.g. {${env.QUEUE_PREFIX.replace(/[{}]/g, '')}}), so each queue's keys share one cluster slot`);
  }
  if (env.NODE_ENV === 'production' && env.RUNTIME_MODE === 'embedded') problems.push('RUNTIME_MODE: embedded is for development and trials, not NODE_ENV=production');
  problems.push(...userTokenProblems(env));
  if (problems.length > 0) throw new ConfigError(problems);

  const redis = redisTargetFrom(env);
  return {
    env: env.NODE_ENV,
    mode: env.RUNTIME_MODE,
    embeddedDataDir: env.EMBEDDED_DATA_DIR ?? null,
    port: env.PORT,
    listen: listenOf(env),
    metricsPort: env.METRICS_PORT ?? null,
    database: {
      url: env.DATABASE_URL,
      connectionLimit: env.DATABASE_CONNECTION_LIMIT ?? (env.NODE_ENV === 'production' ? 45 : 60),
    },
    redis,
    queuePrefix: env.QUEUE_PREFIX ?? (redis.mode === 'cluster' ? '{bull}' : 'bull'),
    cachePrefix: env.CACHE_PREFIX,
    apiKeys: env.API_KEYS,
    userTokens: userTokensFrom(env),
    corsOrigins: env.CORS_ORIGINS,
    logLevel: env.LOG_LEVEL,
    bullBoardReadOnly: env.BULL_BOARD_READ_ONLY,
    startPage: env.START_PAGE,
    recomputeDebounceMs: env.RECOMPUTE_DEBOUNCE_MS,
    workerConcurrency: env.WORKER_CONCURRENCY,
    workerProcesses: env.WORKER_PROCESSES ?? null,
    recomputeBatch: { maxUsers: env.RECOMPUTE_BATCH_USERS, maxRows: env.RECOMPUTE_BATCH_ROWS },
    ingestBatch: { maxRows: 500, maxWaitMs: 2 },
    workerLocks: {
      lockDurationMs: {
        ingest: env.WORKER_LOCK_DURATION_MS ?? 15_000,
        recompute: env.WORKER_LOCK_DURATION_MS ?? 30_000,
        maintenance: env.WORKER_LOCK_DURATION_MS ?? 30_000,
      },
      stalledIntervalMs: env.WORKER_STALLED_INTERVAL_MS ?? 5_000,
    },
    rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
    generateRateLimitPerMinute: env.GENERATE_RATE_LIMIT_PER_MINUTE,
    metricsCollectIntervalMs: env.METRICS_COLLECT_INTERVAL_MS,
    cron: { nightlyRecompute: env.CRON_NIGHTLY_RECOMPUTE, retention: env.CRON_RETENTION, cacheWarming: env.CRON_CACHE_WARMING },
    retention: { rawMaxAgeDays: env.RETENTION_RAW_MAX_AGE_DAYS ?? null, snapshotDays: env.RETENTION_SNAPSHOT_DAYS },
    cache: { l1MaxEntries: env.CACHE_L1_MAX_ENTRIES, l1MaxBytes: env.CACHE_L1_MAX_BYTES, ttlMs: ttlTable(ttlOverrides) },
  };
}
