/**
 * `pnpm start:api` (and, with --all, the core of `pnpm start`): applies pending migrations,
 * connects, serves. A bad configuration or an unreachable dependency stops it with one line.
 */
import { ConfigError, loadConfig, type Config } from '@shared/config/config';
import { applyMigrations, MigrationError } from '@shared/db/migrate';
import { EmbeddedPostgresError } from '@shared/embedded/embedded-postgres';
import { startQueueEventTrimmer } from '@shared/embedded/queue-event-trimmer';
import { ShutdownCoordinator } from '@shared/lifecycle/shutdown';
import { createLogger, type Logger } from '@shared/logger/logger';
import { EventPublisher } from '@shared/queues/event-publisher';
import { redisQueueBackend, type QueueBackend } from '@shared/queues/queue-backend';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import {
  createEmbeddedInfrastructure,
  createInfrastructure,
  StartupError,
  type EmbeddedInfrastructure,
  type Infrastructure,
} from '@shared/runtime/infrastructure';
import { embeddedApiSeams, type ApiSeams } from './api-seams';
import type { AppDeps } from './app';
import { startApiServer, type ApiServer } from './server';

export interface ApiProcess<I extends Pick<Infrastructure, 'db' | 'cache' | 'registry' | 'close'> = Infrastructure> {
  config: Config;
  logger: Logger;
  infra: I;
  /** Where this process's queues live (Redis, or PostgreSQL in the embedded mode). */
  queueBackend: QueueBackend;
  server: ApiServer;
  shutdown: ShutdownCoordinator;
}

export interface BootOptions {
  /** Read by the entry point (loadConfig), never here. */
  config: Config;
  name: string;
  handleSignals?: boolean;
  siblingMetrics?: AppDeps['siblingMetrics'];
  /** Called once the shutdown coordinator exists, before anything connects (the embedded root adds its PostgreSQL's stop). */
  onShutdown?: (shutdown: ShutdownCoordinator) => void;
}

/** The config, logger, shutdown and migrations every composition root of the API starts with. */
async function prepare(options: BootOptions) {
  const { config } = options;
  const logger = createLogger({ level: config.logLevel, name: options.name });
  // Steps are added as their resources come up, and signals are handled from the first
  // moment, so a SIGTERM during start closes what exists instead of killing the process.
  const shutdown = new ShutdownCoordinator(logger);
  if (options.handleSignals) shutdown.installSignalHandlers();
  options.onShutdown?.(shutdown);
  const migrations = await applyMigrations({ databaseUrl: config.database.url, logger });
  logger.info({ applied: migrations.applied, alreadyApplied: migrations.alreadyApplied }, 'migrations up to date');
  return { config, logger, shutdown };
}

/** The part both modes share: queues, publisher, HTTP server, each with its shutdown step. */
async function serve<I extends Pick<Infrastructure, 'db' | 'cache' | 'registry' | 'close'>>(
  base: Awaited<ReturnType<typeof prepare>>,
  infra: I,
  queueBackend: QueueBackend,
  seams: { redis: Infrastructure['redis'] } | { seams: ApiSeams },
  options: BootOptions,
): Promise<ApiProcess<I>> {
  const { config, logger, shutdown } = base;
  const queues = Object.values(QUEUE_NAMES).map((name) => queueBackend.queue(name));
  // On PostgreSQL a queue holds clients of the backend's pool until it is closed: they must
  // be given back before the pool (and, embedded, PostgreSQL itself) stops.
  shutdown.add(1, { name: 'queues', run: () => Promise.allSettled(queues.map((queue) => queue.close())) });
  const publisher = new EventPublisher({ backend: queueBackend });
  shutdown.add(1, { name: 'publisher', run: () => publisher.close() });
  const server = await startApiServer({
    config,
    logger,
    db: infra.db,
    cache: infra.cache,
    publisher,
    queues,
    ...seams,
    registry: infra.registry,
    siblingMetrics: options.siblingMetrics,
  });
  shutdown.add(0, { name: 'http', run: () => server.close() });
  return { config, logger, infra, queueBackend, server, shutdown };
}

/** Boots the API on Redis and PostgreSQL servers; the all-in-one process (scripts/start.ts) adds the workers to it. */
export async function bootApi(options: BootOptions): Promise<ApiProcess> {
  const base = await prepare(options);
  const infra = await createInfrastructure(base.config, base.logger, { applicationName: options.name });
  base.shutdown.add(2, { name: 'infrastructure', run: () => infra.close() });
  return serve(base, infra, redisQueueBackend(infra.producerRedis, base.config.queuePrefix), { redis: infra.redis }, options);
}

/**
 * Boots the API of the embedded mode (DATABASE_URL: the embedded PostgreSQL): BullMQ on
 * PostgreSQL (its schema created here, before any worker starts), the L1-only cache, and
 * the API seams without Redis.
 */
export async function bootEmbeddedApi(options: BootOptions): Promise<ApiProcess<EmbeddedInfrastructure>> {
  const base = await prepare(options);
  const infra = await createEmbeddedInfrastructure(base.config, base.logger, { applicationName: options.name });
  base.shutdown.add(2, { name: 'infrastructure', run: () => infra.close() });
  await infra.queueBackend.migrate();
  const trimmer = startQueueEventTrimmer({ pool: infra.db.pool, logger: base.logger });
  base.shutdown.add(0, { name: 'queue event trimmer', run: () => trimmer.stop() });
  return serve(base, infra, infra.queueBackend, { seams: embeddedApiSeams() }, options);
}

export function exitWithOneLine(error: Error): never {
  const known = error instanceof ConfigError || error instanceof StartupError || error instanceof MigrationError || error instanceof EmbeddedPostgresError;
  process.stderr.write(`${known ? error.message : `failed to start: ${error.stack ?? error.message}`}\n`);
  process.exit(1);
}

if (require.main === module) {
  // RUNTIME_MODE=embedded: an API beside `pnpm start`'s embedded PostgreSQL (DATABASE_URL pointing at it).
  Promise.resolve()
    .then((): Promise<unknown> => {
      const options = { config: loadConfig(), name: 'study-analytics-api', handleSignals: true };
      return options.config.mode === 'embedded' ? bootEmbeddedApi(options) : bootApi(options);
    })
    .catch(exitWithOneLine);
}
