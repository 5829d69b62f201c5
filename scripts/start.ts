/**
 * `pnpm start`: API + workers + scheduler in one process (the composition root of the
 * all-in-one deployment). Bull Board shows the workers' own queues.
 */
import { bootApi, exitWithOneLine } from '../services/api/src/main';
import { startWorkerRuntime, type WorkerRuntime } from '../workers/src/worker-runtime';

async function main(): Promise<void> {
  const api = await bootApi({ name: 'study-analytics', handleSignals: true });
  const runtime: WorkerRuntime = await startWorkerRuntime({ config: api.config, logger: api.logger, db: api.infra.db, cache: api.infra.cache, registry: api.infra.registry }, { scheduler: true });
  api.shutdown.add(1, { name: 'workers', run: () => runtime.close() });
}

main().catch(exitWithOneLine);
