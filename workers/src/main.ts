/**
 * `pnpm start:worker`: the workers and the scheduler as their own process (scale by running
 * more of them). Migrations are applied by the API process (`pnpm start:api`) or `pnpm db:migrate`.
 */
import { ConfigError, loadConfig } from '@shared/config/config';
import { ShutdownCoordinator } from '@shared/lifecycle/shutdown';
import { createLogger } from '@shared/logger/logger';
import { createInfrastructure, StartupError } from '@shared/runtime/infrastructure';
import { startWorkerRuntime } from './worker-runtime';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: 'study-analytics-worker' });
  const infra = await createInfrastructure(config, logger, { applicationName: 'study-analytics-worker' });
  const runtime = await startWorkerRuntime({ config, logger, db: infra.db, cache: infra.cache, registry: infra.registry }, { scheduler: true });
  const shutdown = new ShutdownCoordinator(logger);
  shutdown.add(1, { name: 'workers', run: () => runtime.close() });
  shutdown.add(2, { name: 'infrastructure', run: () => infra.close() });
  shutdown.installSignalHandlers();
}

main().catch((error: Error) => {
  const known = error instanceof ConfigError || error instanceof StartupError;
  process.stderr.write(`${known ? error.message : `worker failed to start: ${error.stack ?? error.message}`}\n`);
  process.exit(1);
});
