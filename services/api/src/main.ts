/**
 * `pnpm start:api` (and the core of `pnpm start`): applies pending migrations, connects,
 * serves. A bad configuration or an unreachable dependency stops it with one line.
 */
import { ConfigError, loadConfig, type Config } from '@shared/config/config';
import { MigrationError } from '@shared/db/migrate';
import { EmbeddedPostgresError } from '@shared/embedded/embedded-postgres';
import type { ShutdownCoordinator } from '@shared/lifecycle/shutdown';
import { StartupError } from '@shared/runtime/infrastructure';
import { createSystem, type System } from '@shared/runtime/system';
import { embeddedApiSeams } from './api-seams';
import type { AppDeps } from './app';
import { startApiServer, type ApiServer } from './server';

/** A system serving the API: what `bootApi` returns. */
export interface ApiProcess extends System {
  server: ApiServer;
}

export interface BootOptions {
  /** Read by the entry point (loadConfig), never here. */
  config: Config;
  name: string;
  handleSignals?: boolean;
  siblingMetrics?: AppDeps['siblingMetrics'];
  /** Called once the shutdown coordinator exists, before anything connects (`pnpm start` adds its embedded PostgreSQL's stop). */
  onShutdown?: (shutdown: ShutdownCoordinator) => void;
}

/** What the Express app is made from, given a system with a read cache (either mode). */
export function appDepsOf(system: System, siblingMetrics?: AppDeps['siblingMetrics']): AppDeps {
  if (!system.cache) throw new TypeError('the API needs a system with a read cache');
  return {
    config: system.config,
    logger: system.logger,
    db: system.infra.db,
    cache: system.cache,
    publisher: system.publisher,
    queues: system.queues,
    registry: system.infra.registry,
    siblingMetrics,
    ...(system.redis ? { redis: system.redis } : { seams: embeddedApiSeams() }),
  };
}

/** The API on a new system of the config's mode: migrations, connections, the read cache, the HTTP server. */
export async function bootApi(options: BootOptions): Promise<ApiProcess> {
  const system = await createSystem(options.config, { name: options.name, readCache: true, migrate: true, handleSignals: options.handleSignals, onShutdown: options.onShutdown });
  const server = await system.start('http', 0, () => startApiServer(appDepsOf(system, options.siblingMetrics)));
  return Object.assign(system, { server });
}

export function exitWithOneLine(error: Error): never {
  const known = error instanceof ConfigError || error instanceof StartupError || error instanceof MigrationError || error instanceof EmbeddedPostgresError;
  process.stderr.write(`${known ? error.message : `failed to start: ${error.stack ?? error.message}`}\n`);
  process.exit(1);
}

if (require.main === module) {
  // RUNTIME_MODE=embedded: an API beside `pnpm start`'s embedded PostgreSQL (DATABASE_URL pointing at it).
  Promise.resolve()
    .then(() => bootApi({ config: loadConfig(), name: 'study-analytics-api', handleSignals: true }))
    .catch(exitWithOneLine);
}
