/**
 * `pnpm start:api` (and, with --all, the core of `pnpm start`): applies pending migrations,
 * connects, serves. A bad configuration or an unreachable dependency stops it with one line.
 */
import { Queue } from 'bullmq';
import { ConfigError, loadConfig, type Config } from '@shared/config/config';
import { applyMigrations, MigrationError } from '@shared/db/migrate';
import { ShutdownCoordinator } from '@shared/lifecycle/shutdown';
import { createLogger, type Logger } from '@shared/logger/logger';
import { EventPublisher } from '@shared/queues/event-publisher';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { createInfrastructure, StartupError, type Infrastructure } from '@shared/runtime/infrastructure';
import type { AppDeps } from './app';
import { startApiServer, type ApiServer } from './server';

export interface ApiProcess {
  config: Config;
  logger: Logger;
  infra: Infrastructure;
  server: ApiServer;
  shutdown: ShutdownCoordinator;
}

/** Boots the API; the all-in-one process (scripts/start.ts) adds the workers to it. */
export async function bootApi(
  options: { name: string; handleSignals?: boolean; siblingMetrics?: AppDeps['siblingMetrics'] } = { name: 'study-analytics-api' },
): Promise<ApiProcess> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: options.name });
  // Steps are added as their resources come up, and signals are handled from the first
  // moment, so a SIGTERM during start closes what exists instead of killing the process.
  const shutdown = new ShutdownCoordinator(logger);
  if (options.handleSignals) shutdown.installSignalHandlers();
  const migrations = await applyMigrations({ databaseUrl: config.database.url, logger });
  logger.info({ applied: migrations.applied, alreadyApplied: migrations.alreadyApplied }, 'migrations up to date');
  const infra = await createInfrastructure(config, logger, { applicationName: options.name });
  shutdown.add(2, { name: 'infrastructure', run: () => infra.close() });
  const queues = Object.values(QUEUE_NAMES).map((name) => new Queue(name, { connection: infra.producerRedis, prefix: config.queuePrefix }));
  const publisher = new EventPublisher({ connection: infra.producerRedis, prefix: config.queuePrefix });
  shutdown.add(1, { name: 'publisher', run: () => publisher.close() });
  const server = await startApiServer({
    config,
    logger,
    db: infra.db,
    cache: infra.cache,
    publisher,
    queues,
    redis: infra.redis,
    registry: infra.registry,
    siblingMetrics: options.siblingMetrics,
  });
  shutdown.add(0, { name: 'http', run: () => server.close() });
  return { config, logger, infra, server, shutdown };
}

export function exitWithOneLine(error: Error): never {
  const known = error instanceof ConfigError || error instanceof StartupError || error instanceof MigrationError;
  process.stderr.write(`${known ? error.message : `failed to start: ${error.stack ?? error.message}`}\n`);
  process.exit(1);
}

if (require.main === module) {
  bootApi({ name: 'study-analytics-api', handleSignals: true }).catch(exitWithOneLine);
}
