/**
 * `pnpm start:worker`: the workers and the scheduler as their own process (scale by running
 * more of them). Migrations are applied by the API process (`pnpm start:api`) or `pnpm db:migrate`.
 */
import { ConfigError, loadConfig, type Config } from '@shared/config/config';
import { ShutdownCoordinator } from '@shared/lifecycle/shutdown';
import { createLogger } from '@shared/logger/logger';
import { closeRedis, createRedisConnection, waitForRedis } from '@shared/redis/redis-connection';
import { cacheWriter, createConnections, createEmbeddedConnections, StartupError } from '@shared/runtime/infrastructure';
import type { Logger } from '@shared/logger/logger';
import { startWorkerRuntime } from './worker-runtime';
import { answerMetricRequests } from './worker-processes';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: 'study-analytics-worker' });
  // Signals are handled from the first moment: workers take jobs as soon as they exist, so a
  // SIGTERM just after (or during) start must still shut down in order, not kill the process.
  const shutdown = new ShutdownCoordinator(logger);
  shutdown.installSignalHandlers();
  if (config.mode === 'embedded') return startEmbedded(config, logger, shutdown);
  const connections = await createConnections(config, logger, { applicationName: 'study-analytics-worker' });
  shutdown.add(2, { name: 'connections', run: () => connections.close() });
  // Workers only write the cache: no L1 and no bus subscription in this process. Their own
  // connection: a batch's write-through may take longer than a read is allowed to.
  const writerRedis = createRedisConnection(config.redis, 'writer', 'study-analytics:cache-writer');
  writerRedis.on('error', (error) => logger.debug({ err: error.message }, 'cache writer Redis connection error'));
  shutdown.add(2, { name: 'cache writer connection', run: () => closeRedis(writerRedis) });
  await waitForRedis(writerRedis, 5_000).catch(() => logger.warn('the cache writer cannot reach Redis yet; recomputes retry their write-through'));
  const cache = cacheWriter(config, logger, writerRedis, connections.registry);
  const runtime = await startWorkerRuntime({ config, logger, db: connections.db, cache, registry: connections.registry }, { scheduler: true });
  shutdown.add(1, { name: 'workers', run: () => runtime.close() });
  // Started by `pnpm start`: its API serves this process's metrics with its own.
  answerMetricRequests(connections.registry);
}

/**
 * The embedded mode (started by `pnpm start` with RUNTIME_MODE=embedded and DATABASE_URL of
 * its PostgreSQL): the queues on PostgreSQL, and a write-through that only tells the API's
 * L1 which users changed (there is no L2).
 */
async function startEmbedded(config: Config, logger: Logger, shutdown: ShutdownCoordinator): Promise<void> {
  const connections = await createEmbeddedConnections(config, logger, { applicationName: 'study-analytics-worker' });
  shutdown.add(2, { name: 'connections', run: () => connections.close() });
  const runtime = await startWorkerRuntime(
    { config, logger, db: connections.db, cache: connections.writeThrough, registry: connections.registry, queueBackend: connections.queueBackend },
    { scheduler: true },
  );
  shutdown.add(1, { name: 'workers', run: () => runtime.close() });
  answerMetricRequests(connections.registry);
}

main().catch((error: Error) => {
  const known = error instanceof ConfigError || error instanceof StartupError;
  process.stderr.write(`${known ? error.message : `worker failed to start: ${error.stack ?? error.message}`}\n`);
  process.exit(1);
});
