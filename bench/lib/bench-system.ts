import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { Queue } from 'bullmq';
import { redisQueueBackend } from '@shared/queues/queue-backend';
import pg from 'pg';
import { loadConfig } from '@shared/config/config';
import { applyMigrations } from '@shared/db/migrate';
import type { EventPublisher } from '@shared/queues/event-publisher';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import type { AggregateWriteThrough } from '@shared/cache/write-through';
import type { Infrastructure } from '@shared/runtime/infrastructure';
import { serverInfra } from '@shared/runtime/system';
import { bootApi, type ApiProcess } from '../../services/api/src/main';
import { startWorkerProcesses, type MetricsSnapshot, type WorkerProcesses } from '../../workers/src/worker-processes';
import { startRedisServer, type PrivateRedis } from '../../scripts/dev/redis-server';
import type { Cleanup } from './cleanup';
import type { Progress } from './progress';

/**
 * The system under test, started by the bench itself: a private redis-server on a free
 * port (the invalidation scenario fills it with a million keys, which must never reach the
 * shared Redis), a fresh database `bench_<timestamp>` on the shared PostgreSQL, and what
 * `pnpm start` runs: the API in this process (bootApi, on a free port) and the workers in
 * child processes (startWorkerProcesses, one per core unless BENCH_WORKER_PROCESSES says
 * otherwise), whose metrics the API's /metrics sums with its own.
 * Everything it makes is registered with the Cleanup, which undoes it in reverse order.
 */
export const BENCH_KEYS = {
  ingest: 'bench-ingest-key-0000000001',
  read: 'bench-read-key-00000000000001',
  admin: 'bench-admin-key-0000000000001',
};

export interface ApiHandle {
  api: ApiProcess;
  baseUrl: string;
}

export interface BenchSystem {
  redis: PrivateRedis;
  databaseName: string;
  databaseUrl: string;
  /** The environment of the bench's processes (child processes start from it). */
  env: Record<string, string>;
  main: ApiHandle;
  /** The main API's connections (the bench runs the server mode). */
  infra: Infrastructure;
  /** A cache writer as the workers hold one (on the main API's Redis connection): what scenarios seed L2 with. */
  writer: AggregateWriteThrough;
  /** The worker child processes (the pipeline: ingest, recompute, maintenance). */
  workers: WorkerProcesses;
  publisher: EventPublisher;
  pool: pg.Pool;
  queue(name: string): Queue;
  /** Another API process in this process, with its own cache and these env overrides. */
  bootExtraApi(overrides: Record<string, string>): Promise<ApiHandle>;
  /** Resolves once no ingest or recompute job is waiting, delayed or active (for 300 ms). */
  waitForIdle(timeoutMs?: number): Promise<void>;
  /** Jobs not finished yet across the pipeline's queues. */
  backlog(): Promise<number>;
}

function adminUrl(): string {
  return process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
}

function databaseUrlFor(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabase(name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** BENCH_WORKER_PROCESSES, or one per core as `pnpm start` does. */
function workerProcessCount(): number {
  const count = Number(process.env.BENCH_WORKER_PROCESSES ?? availableParallelism());
  if (!Number.isInteger(count) || count < 1) throw new Error(`BENCH_WORKER_PROCESSES must be an integer ≥ 1 (got ${process.env.BENCH_WORKER_PROCESSES})`);
  return count;
}

const PIPELINE_QUEUES = [QUEUE_NAMES.behavioralEvent, QUEUE_NAMES.sessionCompleted, QUEUE_NAMES.recompute];

/**
 * Resolves once every child has started its workers (it answers a metrics request only
 * after that) and each pipeline queue sees a worker connection per child: a scenario that
 * starts its clock right after must not time the children's start-up.
 */
async function waitForWorkers(workers: WorkerProcesses, queue: (name: string) => Queue, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const started = (await workers.collectMetrics()).length;
    const connected = started === workers.count ? await Promise.all(PIPELINE_QUEUES.map((name) => queue(name).getWorkersCount())) : [];
    if (connected.length > 0 && connected.every((n) => n >= workers.count)) return;
    if (Date.now() > deadline) throw new Error(`the ${workers.count} worker processes did not start within ${timeoutMs} ms (${started} answered)`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function startBenchSystem(cleanup: Cleanup, progress: Progress): Promise<BenchSystem> {
  progress('starting a private redis-server (noeviction, no persistence)…');
  const redis = await startRedisServer(['--maxmemory-policy', 'noeviction', '--enable-debug-command', 'local']);
  cleanup.add('private redis-server', () => redis.stop());

  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15).toLowerCase();
  const databaseName = `bench_${stamp}_${randomBytes(2).toString('hex')}`;
  const databaseUrl = databaseUrlFor(databaseName);
  cleanup.add(`database ${databaseName}`, () => dropDatabase(databaseName));
  progress(`creating database ${databaseName} and applying migrations…`);
  await applyMigrations({ databaseUrl });

  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redis.url,
    PORT: '0',
    API_KEYS: `ingest:${BENCH_KEYS.ingest},read:${BENCH_KEYS.read},admin:${BENCH_KEYS.admin}`,
    LOG_LEVEL: 'warn',
    QUEUE_PREFIX: 'bench',
    CACHE_PREFIX: 'bench',
    RATE_LIMIT_PER_MINUTE: '10000000',
    // The PostgreSQL server is shared (max_connections 100 here): each pool of the bench stays small.
    DATABASE_CONNECTION_LIMIT: '20',
    // No cron job may fire in the middle of a measurement.
    CRON_NIGHTLY_RECOMPUTE: '0 0 1 1 *',
    CRON_RETENTION: '0 0 1 1 *',
    CRON_CACHE_WARMING: '0 0 1 1 *',
  };
  const extraApis: ApiHandle[] = [];
  const boot = async (overrides: Record<string, string>, siblingMetrics?: () => Promise<MetricsSnapshot[]>): Promise<ApiHandle> => {
    const api = await bootApi({ config: loadConfig({ ...process.env, ...env, ...overrides }), name: 'study-analytics-bench', siblingMetrics });
    const handle = { api, baseUrl: `http://127.0.0.1:${api.server.port}` };
    cleanup.add(`API on port ${api.server.port}`, () => api.shutdown.close('bench done'));
    return handle;
  };

  const count = workerProcessCount();
  progress(`booting the API and ${count} worker processes (as pnpm start does)…`);
  // As in scripts/start.ts: the API's /metrics includes the children, started just after it.
  let children: WorkerProcesses | undefined;
  const main = await boot({}, async () => (await children?.collectMetrics()) ?? []);
  const { config, logger } = main.api;
  const infra = serverInfra(main.api);
  const workers = startWorkerProcesses({ count, logger, env: { ...process.env, ...env } });
  children = workers;
  cleanup.add('worker processes', () => workers.close());
  const { publisher } = main.api;

  const queues = new Map<string, Queue>();
  const queue = (name: string) => {
    let q = queues.get(name);
    if (!q) {
      queues.set(name, (q = redisQueueBackend(infra.producerRedis, config.queuePrefix).queue(name)));
      q.on('error', () => undefined);
    }
    return q;
  };
  cleanup.add('bench queues', () => Promise.allSettled([...queues.values()].map((q) => q.close())));
  await waitForWorkers(workers, queue);

  const backlog = async () => {
    let busy = 0;
    for (const name of PIPELINE_QUEUES) {
      const counts = await queue(name).getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
      busy += Object.values(counts).reduce((a, b) => a + b, 0);
    }
    return busy;
  };

  return {
    redis,
    databaseName,
    databaseUrl,
    env,
    main,
    infra,
    writer: main.api.writer,
    workers,
    publisher,
    pool: infra.db.pool,
    queue,
    async bootExtraApi(overrides) {
      const handle = await boot(overrides);
      extraApis.push(handle);
      return handle;
    },
    backlog,
    async waitForIdle(timeoutMs = 600_000) {
      const deadline = Date.now() + timeoutMs;
      let quietSince = 0;
      for (;;) {
        const busy = await backlog();
        if (busy === 0) {
          quietSince ||= Date.now();
          if (Date.now() - quietSince >= 300) return;
        } else quietSince = 0;
        if (Date.now() > deadline) throw new Error(`the pipeline did not drain within ${timeoutMs} ms (${busy} jobs left)`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
