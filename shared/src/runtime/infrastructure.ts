import { createPostgresBackend, setDefaultBackendFactory } from 'bullmq';
import { NamedError } from '../errors/errors';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { CacheWriter } from '../cache/cache-writer';
import { InvalidationBus } from '../cache/invalidation-bus';
import { InvalidatingWriteThrough, PostgresInvalidationPublisher, PostgresInvalidationSource } from '../cache/postgres-invalidation-bus';
import { ReadCache, type ReadCacheOptions } from '../cache/read-cache';
import type { AggregateWriteThrough } from '../cache/write-through';
import type { Config } from '../config/config';
import { userKeySpace } from '../contracts/cache-keys';
import { createDatabase, pingDatabase, type Database } from '../db/database';
import type { Logger } from '../logger/logger';
import { postgresQueueBackend } from '../queues/queue-backend';
import {
  checkEvictionPolicy,
  closeRedis,
  createRedisConnection,
  waitForRedis,
  type RedisClient,
} from '../redis/redis-connection';

/**
 * The long-lived connections of one process, made in one place so every composition root
 * (`pnpm start`, `start:api`, `start:worker`, bench, tests) builds them the same way.
 * Workers create their own BullMQ connections (role 'worker'); this holds the rest.
 */
export interface Connections {
  db: Database;
  /** Fail-fast connection for the cache, health checks and rate limiting. */
  redis: RedisClient;
  /** Fail-fast connection for enqueueing from HTTP requests. */
  producerRedis: RedisClient;
  registry: Registry;
  close(): Promise<void>;
}

/** Connections plus the read cache (L1 + L2 + invalidation bus): what a process that serves reads holds. */
export interface Infrastructure extends Connections {
  cache: ReadCache;
}

export class StartupError extends NamedError {}

function describeTarget(config: Pick<Config, 'redis'>): string {
  if (config.redis.mode === 'cluster') return config.redis.nodes.map((n) => `${n.host}:${n.port}`).join(',');
  const url = new URL(config.redis.url);
  return `${url.hostname}:${url.port || 6379}`;
}

/**
 * Connects to PostgreSQL and Redis, or throws a StartupError with one clear line. What a
 * worker process needs: it writes the cache (CacheWriter over `redis`) but never reads it.
 */
export async function createConnections(
  config: Config,
  logger: Logger,
  options: { applicationName?: string; startupTimeoutMs?: number; producer?: boolean } = {},
): Promise<Connections> {
  const timeoutMs = options.startupTimeoutMs ?? 5_000;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const db = createDatabase(config, { applicationName: options.applicationName });
  const redis = createRedisConnection(config.redis, 'cache');
  // `producer: false`: a process that enqueues nothing from requests (a worker process) opens
  // no producer connection; the rare queue it might make shares the cache connection.
  const producerRedis = options.producer === false ? redis : createRedisConnection(config.redis, 'producer');
  const clients = [...new Set([redis, producerRedis])];
  // Until their owners take over, connection errors are expected noise while we wait.
  for (const client of clients) client.on('error', () => undefined);

  const closeAll = async () => {
    await Promise.allSettled([...clients.map((client) => closeRedis(client)), db.close()]);
  };
  try {
    await Promise.all([
      // Both fail-fast connections: in cluster mode each discovers the slots on its own, and
      // a producer that is not ready yet would turn the first ingest requests into 503s.
      ...clients.map((client) =>
        waitForRedis(client, timeoutMs).catch((error: Error) => {
          throw new StartupError(`cannot reach Redis at ${describeTarget(config)}: ${error.message}`);
        }),
      ),
      pingDatabase(db.pool).catch((error: Error) => {
        const url = new URL(config.database.url);
        throw new StartupError(`cannot reach PostgreSQL at ${url.hostname}:${url.port || 5432}${url.pathname}: ${error.message}`);
      }),
    ]);
  } catch (error) {
    await closeAll();
    throw error;
  }

  const evictionWarning = await checkEvictionPolicy(redis);
  if (evictionWarning) logger.warn(`!!! ${evictionWarning}`);

  let closing: Promise<void> | undefined;
  return {
    db,
    redis,
    producerRedis,
    registry,
    close() {
      closing ??= closeAll();
      return closing;
    },
  };
}

/** The API's read cache over the given tiers and invalidation source, ready (listening) when it resolves. */
async function readCache(config: Config, logger: Logger, registry: Registry, tiers: Pick<ReadCacheOptions, 'redis' | 'invalidations'>): Promise<ReadCache> {
  const cache = new ReadCache({
    ...tiers,
    keys: userKeySpace(config.cachePrefix),
    l1MaxEntries: config.cache.l1MaxEntries,
    l1MaxBytes: config.cache.l1MaxBytes,
    ttlMs: config.cache.ttlMs,
    logger: logger.child({ component: 'cache' }),
    registry,
  });
  await cache.ready();
  return cache;
}

/** The write side of the server mode's cache, over a connection it is handed (not closed by it). */
export function cacheWriter(config: Config, logger: Logger, redis: RedisClient, registry: Registry): CacheWriter {
  return new CacheWriter({
    redis,
    keys: userKeySpace(config.cachePrefix),
    ttlMs: config.cache.ttlMs,
    registry,
    logger: logger.child({ component: 'cache-writer' }),
  });
}

/** Connections with the read cache: close() (idempotent) closes the cache first, then what `closeRest` closes. */
function withReadCache<C extends object>(connections: C, cache: ReadCache, closeRest: () => Promise<unknown>): C & { cache: ReadCache; close(): Promise<void> } {
  let closing: Promise<void> | undefined;
  return {
    ...connections,
    cache,
    close() {
      closing ??= (async () => {
        await cache.close().catch(() => undefined);
        await closeRest();
      })();
      return closing;
    },
  };
}

/** Connections plus the read cache, subscribed to the invalidation bus: what an API process holds. */
export async function createInfrastructure(
  config: Config,
  logger: Logger,
  options: { applicationName?: string; startupTimeoutMs?: number } = {},
): Promise<Infrastructure> {
  const connections = await createConnections(config, logger, options);
  const subscriber = createRedisConnection(config.redis, 'subscriber');
  subscriber.on('error', () => undefined);
  const invalidations = new InvalidationBus(subscriber, userKeySpace(config.cachePrefix).invalidationChannel);
  const cache = await readCache(config, logger, connections.registry, { redis: connections.redis, invalidations });
  return withReadCache(connections, cache, () => Promise.allSettled([closeRedis(subscriber), connections.close()]));
}

/**
 * The embedded mode's connections (`pnpm start` with nothing installed): the embedded
 * PostgreSQL only. The same seams as the server mode, other implementations:
 * - queues: BullMQ's PostgreSQL backend (`postgresQueueBackend`) instead of Redis;
 * - the read cache: L1 alone (no L2), invalidated across processes by LISTEN/NOTIFY;
 * - the workers' cache writes: a NOTIFY of the users recomputed (`InvalidatingWriteThrough`).
 */
export interface EmbeddedConnections {
  db: Database;
  registry: Registry;
  queueBackend: PostgresQueues;
  /** What the workers of this process write the cache with. */
  writeThrough: AggregateWriteThrough;
  close(): Promise<void>;
}

export interface EmbeddedInfrastructure extends EmbeddedConnections {
  cache: ReadCache;
}

type PostgresQueues = ReturnType<typeof postgresQueueBackend>;

export async function createEmbeddedConnections(
  config: Config,
  options: { applicationName?: string } = {},
): Promise<EmbeddedConnections> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const db = createDatabase(config, { applicationName: options.applicationName });
  await pingDatabase(db.pool).catch(async (error: Error) => {
    await db.close();
    throw new StartupError(`cannot reach the embedded PostgreSQL: ${error.message}`);
  });
  // Workers built anywhere in this process (ingest, recompute, maintenance) take BullMQ's
  // process-wide default backend with the connection they are handed: PostgreSQL here.
  setDefaultBackendFactory(createPostgresBackend);
  const queueBackend = postgresQueueBackend(config.database.url, { applicationName: `${options.applicationName ?? 'study-analytics'}:queues` });
  const publisher = new PostgresInvalidationPublisher({ pool: db.pool, channel: userKeySpace(config.cachePrefix).invalidationChannel });
  let closing: Promise<void> | undefined;
  return {
    db,
    registry,
    queueBackend,
    writeThrough: new InvalidatingWriteThrough(publisher),
    close() {
      closing ??= (async () => {
        await Promise.allSettled([queueBackend.close(), publisher.close()]);
        await db.close();
      })();
      return closing;
    },
  };
}

/** Embedded connections plus the L1-only read cache listening for invalidations: what an embedded API process holds. */
export async function createEmbeddedInfrastructure(
  config: Config,
  logger: Logger,
  options: { applicationName?: string } = {},
): Promise<EmbeddedInfrastructure> {
  const connections = await createEmbeddedConnections(config, options);
  const cache = await readCache(config, logger, connections.registry, {
    redis: null,
    invalidations: new PostgresInvalidationSource({
      databaseUrl: config.database.url,
      channel: userKeySpace(config.cachePrefix).invalidationChannel,
      logger: logger.child({ component: 'invalidations' }),
    }),
  });
  return withReadCache(connections, cache, () => connections.close());
}
