/**
 * `pnpm start:worker`: the workers and the scheduler as their own process (scale by running
 * more of them). Migrations are applied by the API process (`pnpm start:api`) or `pnpm db:migrate`.
 * Either mode (RUNTIME_MODE=embedded: beside `pnpm start`'s embedded PostgreSQL). No read
 * cache here: the workers only write it, on a Redis connection of their own. With
 * METRICS_PORT it serves its own /metrics (what Prometheus scrapes in docker-compose).
 */
import { ConfigError, loadConfig } from '@shared/config/config';
import { StartupError } from '@shared/runtime/infrastructure';
import { createSystem } from '@shared/runtime/system';
import { startMetricsServer } from './metrics-server';
import { startWorkerRuntime, workerDepsOf } from './worker-runtime';
import { answerMetricRequests } from './worker-processes';

async function main(): Promise<void> {
  const config = loadConfig();
  const system = await createSystem(config, { name: 'study-analytics-worker', readCache: false, migrate: false, handleSignals: true, ownWriterConnection: true });
  await system.start('workers', 1, () => startWorkerRuntime(workerDepsOf(system), { scheduler: true }));
  // Started on its own (compose, scaling out): its metrics on a port of its own, for Prometheus.
  // Closed with the connections (phase 2), after the workers have drained: scrapes meanwhile see the last jobs.
  if (config.metricsPort !== null) {
    const metrics = await startMetricsServer({ registry: system.infra.registry, port: config.metricsPort, host: config.listen.host, logger: system.logger });
    system.shutdown.add(2, { name: 'metrics server', run: () => metrics.close() });
  }
  // Started by `pnpm start`: its API serves this process's metrics with its own.
  answerMetricRequests(system.infra.registry);
}

main().catch((error: Error) => {
  const known = error instanceof ConfigError || error instanceof StartupError;
  process.stderr.write(`${known ? error.message : `worker failed to start: ${error.stack ?? error.message}`}\n`);
  process.exit(1);
});
