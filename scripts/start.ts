/**
 * `pnpm start`: the whole system from one command (the composition root of the all-in-one
 * deployment). This process applies migrations and serves the API (with Bull Board); the
 * workers and the scheduler run in WORKER_PROCESSES child processes, one per core by
 * default, so the API, ingest and recomputes each get a core of their own. WORKER_PROCESSES=0
 * runs the workers in this process instead.
 */
import { availableParallelism } from 'node:os';
import { bootApi, exitWithOneLine } from '../services/api/src/main';
import { startWorkerProcesses, type WorkerProcesses } from '../workers/src/worker-processes';
import { startWorkerRuntime } from '../workers/src/worker-runtime';

async function main(): Promise<void> {
  let workers: WorkerProcesses | undefined;
  const api = await bootApi({ name: 'study-analytics', handleSignals: true, siblingMetrics: async () => (await workers?.collectMetrics()) ?? [] });
  const processes = api.config.workerProcesses ?? availableParallelism();
  if (processes === 0) {
    const { config, logger, infra } = api;
    const runtime = await startWorkerRuntime({ config, logger, db: infra.db, cache: infra.cache, registry: infra.registry }, { scheduler: true });
    api.shutdown.add(1, { name: 'workers', run: () => runtime.close() });
    return;
  }
  workers = startWorkerProcesses({ count: processes, logger: api.logger });
  api.shutdown.add(1, { name: 'worker processes', run: () => workers!.close() });
}

main().catch(exitWithOneLine);
