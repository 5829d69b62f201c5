import { createPostgresBackend, createRedisBackend, DEFAULT_SCHEMA, Queue, runMigrations, type BackendFactory, type IQueueBackend } from 'bullmq';
import { Pool } from 'pg';
import type { RedisClient } from '../redis/redis-connection';

/**
 * Where the queues live: the seam between BullMQ and its store. Two implementations, one
 * per mode, chosen by the composition root:
 * - `redisQueueBackend`: the server mode (Redis, the `QUEUE_PREFIX` namespace);
 * - `postgresQueueBackend`: the embedded mode (BullMQ's PostgreSQL backend, its own schema
 *   `bullmq` in the application's database; BullMQ ignores the prefix there).
 *
 * Every Queue and Worker of a process is made from it, so nothing downstream knows which
 * store it is talking to.
 */
export type QueueConnection = RedisClient | Pool;
export type QueueBackendFactory = BackendFactory<IQueueBackend, QueueConnection>;

/** What a BullMQ Worker (or Queue) constructor needs besides its own options. */
export interface WorkerConnection {
  connection: QueueConnection;
  prefix: string;
  backendFactory: QueueBackendFactory;
}

export interface QueueBackend {
  readonly kind: 'redis' | 'postgres';
  /** For the workers' constructors (ingest, recompute, maintenance). */
  readonly workers: WorkerConnection;
  /** A queue on this backend. `skipWaitingForReady`: a producer that must not wait for a connection. */
  queue(name: string, options?: { skipWaitingForReady?: boolean }): Queue;
  /** False when enqueueing is known to fail right now (the producer answers 503 without trying). */
  acceptsJobs(): boolean;
  /** Closes what the backend itself opened (never a connection it was handed). */
  close(): Promise<void>;
}

/** What `withBackend(factory)` does: the factory as the constructors' last argument. */
function queueOn(workers: WorkerConnection, name: string, skipWaitingForReady?: boolean): Queue {
  const options = { connection: workers.connection, prefix: workers.prefix, ...(skipWaitingForReady ? { skipWaitingForReady } : {}) };
  return new Queue(name, options as never, workers.backendFactory as never) as unknown as Queue;
}

/** The server mode: BullMQ on Redis, over the connection it is handed (not closed here). */
export function redisQueueBackend(connection: RedisClient, prefix: string): QueueBackend {
  const workers: WorkerConnection = { connection, prefix, backendFactory: createRedisBackend as unknown as QueueBackendFactory };
  return {
    kind: 'redis',
    workers,
    queue: (name, options) => queueOn(workers, name, options?.skipWaitingForReady),
    acceptsJobs: () => connection.status === 'ready',
    close: async () => undefined,
  };
}

/**
 * The embedded mode: BullMQ on PostgreSQL. One pool per process for every Queue and Worker
 * (each still opens a LISTEN client of its own); `migrate()` creates BullMQ's schema and is
 * run once by the process that applies migrations, before any worker starts.
 */
export function postgresQueueBackend(databaseUrl: string, options: { poolSize?: number; applicationName?: string } = {}): QueueBackend & { migrate(): Promise<void> } {
  // BullMQ's functions and tables are unqualified: a pool it is handed must resolve them in
  // its schema (it pins search_path itself only on pools it creates).
  const pool = new Pool({
    connectionString: databaseUrl,
    max: options.poolSize ?? 20,
    application_name: options.applicationName ?? 'study-analytics:queues',
    options: `-c search_path=${DEFAULT_SCHEMA}`,
  });
  pool.on('error', () => undefined);
  const workers: WorkerConnection = { connection: pool, prefix: 'bull', backendFactory: createPostgresBackend as unknown as QueueBackendFactory };
  let closing: Promise<void> | undefined;
  return {
    kind: 'postgres',
    workers,
    queue: (name) => queueOn(workers, name),
    acceptsJobs: () => true,
    async migrate() {
      await runMigrations(pool);
    },
    close() {
      closing ??= pool.end().catch(() => undefined);
      return closing;
    },
  };
}
