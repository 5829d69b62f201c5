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
  // Signals are handled from the first moment: workers take jobs as soon as they exist, so a
  // SIGTERM just after (or during) start must still shut down in order, not kill the process.
  const shutdown = new ShutdownCoordinator(logger);
  shutdown.installSignalHandlers();
  const infra = await createInfrastructure(config, logger, { applicationName: 'study-analytics-worker' });
  shutdown.add(2, { name: 'infrastructure', run: () => infra.close() });
  const runtime = await startWorkerRuntime({ config, logger, db: infra.db, cache: infra.cache, registry: infra.registry }, { scheduler: true });
  shutdown.add(1, { name: 'workers', run: () => runtime.close() });
}

main().catch((error: Error) => {
  const known = error instanceof ConfigError || error instanceof StartupError;
  process.stderr.write(`${known ? error.message : `worker failed to start: ${error.stack ?? error.message}`}\n`);
  process.exit(1);
});
