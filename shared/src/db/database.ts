import pg from 'pg';
import type { Config } from '../config/config';

/**
 * The PostgreSQL pool every process queries through. Prisma owns the schema and the
 * migrations (prisma/schema.prisma, prisma/migrations); no Prisma client is built at run
 * time: every statement of the running system lives in shared/src/store/ as SQL over this
 * pool (the hot ones must be single JSON statements), and a client would cost each process
 * about 70 MB and most of a second at start for none of them.
 */

/** What a store function needs: something that runs a statement (the pool, or a client in a transaction). */
export type Queryable = Pick<pg.Pool, 'query'>;

/** Every statement of the system is a short index-backed one: one that runs this long is stuck. */
export const STATEMENT_TIMEOUT_MS = 30_000;

export const POOL_SETTINGS = {
  acquisitionTimeoutMs: 10_000,
  idleTimeoutMs: 30 * 60_000,
  maxLifetimeSeconds: 12 * 60 * 60,
} as const;

export interface Database {
  /** Its counters feed the pool metrics. */
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
    statement_timeout: STATEMENT_TIMEOUT_MS,
    application_name: options.applicationName ?? 'study-analytics',
    // Every query here is a short index-backed OLTP statement: PostgreSQL's JIT compiles the
    // batch-sized ones (a recompute batch's load) for longer than they run. The named ones
    // (a recompute's load and save, an ingest's rollup refresh: large statements of fixed
    // shape, every lookup by user) are planned once per connection: planning them took as
    // long as running them, and a custom plan per call chose no better path.
    options: '-c jit=off -c plan_cache_mode=force_generic_plan',
  });
  // An idle client's error (PostgreSQL restarted) must not crash the process; the pool drops it.
  pool.on('error', () => undefined);
  let closing: Promise<void> | undefined;
  return {
    pool,
    close() {
      closing ??= pool.end().catch(() => undefined);
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

/** Resolves when PostgreSQL answers, or rejects with a one-line reason. */
export async function pingDatabase(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT 1');
  } finally {
    client.release();
  }
}
