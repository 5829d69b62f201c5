import type { Queue } from 'bullmq';
import type { ReadCache } from '../cache/read-cache';
import type { AggregateWriteThrough } from '../cache/write-through';
import type { Config } from '../config/config';
import { applyMigrations } from '../db/migrate';
import { startQueueEventTrimmer } from '../embedded/queue-event-trimmer';
import { ShutdownCoordinator } from '../lifecycle/shutdown';
import { createLogger, type Logger } from '../logger/logger';
import { EventPublisher } from '../queues/event-publisher';
import { redisQueueBackend, type QueueBackend } from '../queues/queue-backend';
import { QUEUE_NAMES } from '../queues/queue-names';
import { closeRedis, createRedisConnection, waitForRedis, type RedisClient } from '../redis/redis-connection';
import {
  cacheWriter,
  createConnections,
  createEmbeddedConnections,
  createEmbeddedInfrastructure,
  createInfrastructure,
  type Connections,
  type EmbeddedConnections,
  type Infrastructure,
} from './infrastructure';

/**
 * The composition root of every process: `pnpm start`, `start:api`, `start:worker`, soak,
 * the bench and the tests all begin here, with a Config their entry point read. It makes,
 * for the mode the config names (server: PostgreSQL + Redis; embedded: PostgreSQL alone):
 * the logger, the shutdown coordinator, the connections, the read cache (for a process that
 * serves reads), the cache's write side, the queues and the publisher — each closed in order
 * by the coordinator. What runs on them is added with `start()`: the HTTP server
 * (services/api) and the workers (workers/) are parts, so this module knows neither.
 */
export interface SystemOptions {
  /** The process's name in logs and in PostgreSQL's application_name. */
  name: string;
  /** The API's read cache (L1, L2, invalidations heard); a process that only computes holds none. */
  readCache: boolean;
  /** Apply pending migrations first (the API and the all-in-one process; worker processes never do). */
  migrate: boolean;
  /** SIGTERM/SIGINT close everything in order, then exit. */
  handleSignals?: boolean;
  /**
   * Server mode: the cache writer on a Redis connection of its own (a worker process: a batch's
   * write-through may take longer than a read's command timeout) instead of the read side's.
   */
  ownWriterConnection?: boolean;
  /** Called once the shutdown coordinator exists, before anything connects (`pnpm start` adds its embedded PostgreSQL's stop, phase 3). */
  onShutdown?: (shutdown: ShutdownCoordinator) => void;
}

/** The pipeline's queues, one typed object (for producers, health, metrics and Bull Board: workers make their own). */
export interface PipelineQueues {
  events: Queue;
  sessions: Queue;
  recompute: Queue;
  maintenance: Queue;
}

export interface System {
  config: Config;
  logger: Logger;
  shutdown: ShutdownCoordinator;
  /** The connections of the mode (server: Connections; embedded: EmbeddedConnections). */
  infra: Connections | EmbeddedConnections;
  /** The read cache; null in a process that only computes. */
  cache: ReadCache | null;
  /** The fail-fast Redis connection of health checks, rate limits and refresh claims; null in the embedded mode. */
  redis: RedisClient | null;
  /** What recomputes write the cache with: a CacheWriter (server) or a NOTIFY to every L1 (embedded). */
  writer: AggregateWriteThrough;
  queueBackend: QueueBackend;
  queues: PipelineQueues;
  publisher: EventPublisher;
  /** Starts a part on the system and closes it in `phase` of the shutdown (0: intake, 1: work in flight). */
  start<P extends { close(): Promise<unknown> }>(name: string, phase: 0 | 1, make: () => P | Promise<P>): Promise<P>;
  /** Everything, in order (idempotent). */
  close(): Promise<void>;
}

export async function createSystem(config: Config, options: SystemOptions): Promise<System> {
  const logger = createLogger({ level: config.logLevel, name: options.name, env: config.env });
  // Steps are added as their resources come up, and signals are handled from the first
  // moment, so a SIGTERM during start closes what exists instead of killing the process.
  const shutdown = new ShutdownCoordinator(logger);
  if (options.handleSignals) shutdown.installSignalHandlers();
  options.onShutdown?.(shutdown);
  if (options.migrate) {
    const migrations = await applyMigrations({ databaseUrl: config.database.url, logger });
    logger.info({ applied: migrations.applied, alreadyApplied: migrations.alreadyApplied }, 'migrations up to date');
  }
  const parts = config.mode === 'embedded' ? await embeddedParts(config, logger, shutdown, options) : await serverParts(config, logger, shutdown, options);
  // Made on first use: a worker process produces nothing, and on PostgreSQL each queue holds a client.
  let queues: PipelineQueues | undefined;
  let publisher: EventPublisher | undefined;
  shutdown.add(1, { name: 'queues and publisher', run: () => Promise.allSettled([publisher?.close(), ...Object.values(queues ?? {}).map((queue) => queue.close())]) });

  return {
    config,
    logger,
    shutdown,
    ...parts,
    get queues() {
      return (queues ??= pipelineQueues(parts.queueBackend, logger));
    },
    get publisher() {
      return (publisher ??= new EventPublisher({ backend: parts.queueBackend }));
    },
    async start(name, phase, make) {
      const part = await make();
      shutdown.add(phase, { name, run: () => part.close() });
      return part;
    },
    close: () => shutdown.close(),
  };
}

/** The pipeline's queues on a backend (a queue's connection errors are logged at debug: health and metrics report them). */
export function pipelineQueues(backend: QueueBackend, logger?: Logger): PipelineQueues {
  const queue = (name: string) => {
    const made = backend.queue(name);
    made.on('error', (error) => logger?.debug({ queue: name, err: error.message }, 'queue error'));
    return made;
  };
  return { events: queue(QUEUE_NAMES.behavioralEvent), sessions: queue(QUEUE_NAMES.sessionCompleted), recompute: queue(QUEUE_NAMES.recompute), maintenance: queue(QUEUE_NAMES.maintenance) };
}

/** A server-mode system's connections and read cache (tools and tests that talk to Redis themselves); throws for any other system. */
export function serverInfra(system: Pick<System, 'infra'>): Infrastructure {
  if (!('redis' in system.infra) || !('cache' in system.infra)) throw new TypeError('this needs a server-mode system with a read cache');
  return system.infra as Infrastructure;
}

type ModeParts = Pick<System, 'infra' | 'cache' | 'redis' | 'writer' | 'queueBackend'>;

async function serverParts(config: Config, logger: Logger, shutdown: ShutdownCoordinator, options: SystemOptions): Promise<ModeParts> {
  const applicationName = options.name;
  const withCache = options.readCache ? await createInfrastructure(config, logger, { applicationName }) : null;
  // A process without a read cache serves no HTTP, so it enqueues nothing from requests: no producer connection.
  const infra = withCache ?? (await createConnections(config, logger, { applicationName, producer: false }));
  shutdown.add(2, { name: 'connections', run: () => infra.close() });
  let writerRedis = infra.redis;
  if (options.ownWriterConnection) {
    writerRedis = createRedisConnection(config.redis, 'writer', `${applicationName}:cache-writer`);
    writerRedis.on('error', (error) => logger.debug({ err: error.message }, 'cache writer Redis connection error'));
    shutdown.add(2, { name: 'cache writer connection', run: () => closeRedis(writerRedis) });
    await waitForRedis(writerRedis, 5_000).catch(() => logger.warn('the cache writer cannot reach Redis yet; recomputes retry their write-through'));
  }
  return {
    infra,
    cache: withCache?.cache ?? null,
    redis: infra.redis,
    writer: cacheWriter(config, logger, writerRedis, infra.registry),
    queueBackend: redisQueueBackend(infra.producerRedis, config.queuePrefix),
  };
}

async function embeddedParts(config: Config, logger: Logger, shutdown: ShutdownCoordinator, options: SystemOptions): Promise<ModeParts> {
  const applicationName = options.name;
  const withCache = options.readCache ? await createEmbeddedInfrastructure(config, logger, { applicationName }) : null;
  const infra = withCache ?? (await createEmbeddedConnections(config, { applicationName }));
  shutdown.add(2, { name: 'connections', run: () => infra.close() });
  if (options.migrate) {
    // BullMQ's own schema, created before any worker starts; its event streams trimmed
    // here, by the process that migrates (BullMQ does not trim them on PostgreSQL).
    await infra.queueBackend.migrate();
    const trimmer = startQueueEventTrimmer({ pool: infra.db.pool, logger });
    shutdown.add(0, { name: 'queue event trimmer', run: () => trimmer.stop() });
  }
  return { infra, cache: withCache?.cache ?? null, redis: null, writer: infra.writeThrough, queueBackend: infra.queueBackend };
}
