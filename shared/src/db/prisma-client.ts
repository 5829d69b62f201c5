import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { Config } from '../config/config';
import { PrismaClient } from './generated/prisma/client';

export type { PrismaClient };

/**
 * Statement timeouts by class of query (origin report): user-facing paths must give up
 * quickly, maintenance may run for minutes.
 */
export const QUERY_TIMEOUT_MS = {
  default: 30_000,
  longRunning: 180_000,
  critical: 5_000,
  cached: 2_000,
} as const;
export type QueryTimeoutClass = keyof typeof QUERY_TIMEOUT_MS;

export const POOL_SETTINGS = {
  acquisitionTimeoutMs: 10_000,
  idleTimeoutMs: 30 * 60_000,
  maxLifetimeSeconds: 12 * 60 * 60,
} as const;

export interface Database {
  prisma: PrismaClient;
  /** The pg pool under Prisma: its counters feed the pool metrics. */
  pool: pg.Pool;
  close(): Promise<void>;
}

export function createDatabase(config: Pick<Config, 'database'>, options: { applicationName?: string } = {}): Database {
  const pool = new pg.Pool({
    connectionString: config.database.url,
    max: config.database.connectionLimit,
    connectionTimeoutMillis: POOL_SETTINGS.acquisitionTimeoutMs,
    idleTimeoutMillis: POOL_SETTINGS.idleTimeoutMs,
    maxLifetimeSeconds: POOL_SETTINGS.maxLifetimeSeconds,
    statement_timeout: QUERY_TIMEOUT_MS.default,
    application_name: options.applicationName ?? 'study-analytics',
    // Every query here is a short index-backed OLTP statement: PostgreSQL's JIT compiles the
    // batch-sized ones (a recompute batch's load) for longer than they run.
    options: '-c jit=off',
  });
  // An idle client's error (PostgreSQL restarted) must not crash the process; the pool drops it.
  pool.on('error', () => undefined);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: false }) });
  let closing: Promise<void> | undefined;
  return {
    prisma,
    pool,
    close() {
      closing ??= (async () => {
        await prisma.$disconnect().catch(() => undefined);
        await pool.end().catch(() => undefined);
      })();
      return closing;
    },
  };
}

/** Pool utilisation, with the origin report's thresholds (warn > 80 %, error > 95 %). */
export function poolUtilization(pool: pg.Pool, max: number) {
  const inUse = pool.totalCount - pool.idleCount;
  const utilization = max > 0 ? inUse / max : 0;
  const level = utilization > 0.95 ? 'error' : utilization > 0.8 ? 'warn' : 'ok';
  return { inUse, idle: pool.idleCount, waiting: pool.waitingCount, utilization, level } as const;
}

/** Runs `work` in a transaction whose statements time out after the class's limit. */
export async function withQueryTimeout<T>(
  prisma: PrismaClient,
  timeoutClass: QueryTimeoutClass,
  work: (tx: Parameters<Parameters<PrismaClient['$transaction']>[0]>[0]) => Promise<T>,
): Promise<T> {
  const ms = QUERY_TIMEOUT_MS[timeoutClass];
  return prisma.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe(`SET LOCAL statement_timeout = ${ms}`);
      return work(tx);
    },
    { timeout: ms + 1_000, maxWait: POOL_SETTINGS.acquisitionTimeoutMs },
  );
}

/** Resolves when PostgreSQL answers, or rejects with a one-line reason. */
export async function pingDatabase(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT 1');
  } finally {
    client.release();
  }
}
