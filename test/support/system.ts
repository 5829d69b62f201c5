import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import type { AggregateWriteThrough } from '@shared/cache/write-through';
import { loadConfig, type Config } from '@shared/config/config';
import type { EventPublisher } from '@shared/queues/event-publisher';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import type { Infrastructure } from '@shared/runtime/infrastructure';
import { createSystem, serverInfra, type PipelineQueues, type System } from '@shared/runtime/system';
import { startWorkerRuntime, workerDepsOf, type WorkerRuntime } from '../../workers/src/worker-runtime';
import { createTestDatabase, type TestDatabase } from './database';
import { deleteKeysWithPrefix } from './redis-keys';
import { waitUntilDrained } from './queue-drain';

/**
 * A whole pipeline for an integration test, made by the same composition root as every
 * process (createSystem): its own database, queue prefix and cache prefix on the real Redis
 * and PostgreSQL, the read cache an API holds, and the workers running in-process.
 */
export interface TestSystem {
  config: Config;
  database: TestDatabase;
  /** The system itself (what bootApi would serve over HTTP: appFor(system) does). */
  system: System;
  /** Its server-mode connections and read cache. */
  infra: Infrastructure;
  /** What the in-process workers write the cache with (as a worker process does). */
  writer: AggregateWriteThrough;
  /** The in-process workers; none with `workers: false`. */
  runtime: WorkerRuntime | null;
  queues: PipelineQueues;
  publisher: EventPublisher;
  /** A queue of this system by name (made once; emptied and closed by stop()). */
  queue(name: string): Queue;
  drained(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface TestSystemOptions {
  env?: Record<string, string>;
  now?: () => Date;
  workers?: boolean;
  /** The URL the system connects with, given its database's own (e.g. through a proxy the test cuts). */
  databaseUrlFor?: (directUrl: string) => Promise<string>;
  /**
   * Recompute with the configuration's default debounce, what production runs with; tests
   * otherwise debounce 20 ms, so that they wait less for the aggregates.
   */
  defaultDebounce?: boolean;
}

export async function startTestSystem(options: TestSystemOptions = {}): Promise<TestSystem> {
  const database = await createTestDatabase();
  const id = randomBytes(4).toString('hex');
  const config = loadConfig({
    DATABASE_URL: options.databaseUrlFor ? await options.databaseUrlFor(database.url) : database.url,
    DATABASE_CONNECTION_LIMIT: '20',
    QUEUE_PREFIX: `tq${id}`,
    CACHE_PREFIX: `tc${id}`,
    ...(options.defaultDebounce ? {} : { RECOMPUTE_DEBOUNCE_MS: '20' }),
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const system = await createSystem(config, { name: 'study-analytics-test', readCache: true, migrate: false });
  const runtime = options.workers === false ? null : await system.start('workers', 1, () => startWorkerRuntime(workerDepsOf(system, options.now), { scheduler: false }));
  const queues = new Map<string, Queue>();
  const queue = (name: string) => {
    let q = queues.get(name);
    if (!q) queues.set(name, (q = system.queueBackend.queue(name)));
    return q;
  };
  return {
    config,
    database,
    system,
    infra: serverInfra(system),
    writer: system.writer,
    runtime,
    get queues() {
      return system.queues;
    },
    get publisher() {
      return system.publisher;
    },
    queue,
    drained(timeoutMs = 60_000) {
      return waitUntilDrained(Object.values(QUEUE_NAMES).map(queue), { timeoutMs });
    },
    async stop() {
      await runtime?.close(); // before the queues are emptied (closed once: the system's close then returns at once)
      for (const q of queues.values()) {
        await q.obliterate({ force: true }).catch(() => undefined);
        await q.close();
      }
      await system.close();
      // Whatever the system left on the shared Redis under its own prefixes: queue metadata
      // of queues the test never touched, cache entries, tag sets, generations, rate limits.
      if (config.redis.mode === 'standalone') {
        for (const prefix of [config.queuePrefix, config.cachePrefix]) await deleteKeysWithPrefix(config.redis.url, prefix).catch(() => undefined);
      }
      await database.drop();
    },
  };
}
