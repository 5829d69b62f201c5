import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { loadConfig, type Config } from '@shared/config/config';
import { createLogger } from '@shared/logger/logger';
import { EventPublisher } from '@shared/queues/event-publisher';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import type { CacheWriter } from '@shared/cache/cache-writer';
import { cacheWriter, createInfrastructure, type Infrastructure } from '@shared/runtime/infrastructure';
import { startWorkerRuntime, type WorkerRuntime } from '../../workers/src/worker-runtime';
import { createTestDatabase, type TestDatabase } from './database';
import { deleteKeysWithPrefix } from './redis-keys';
import { waitUntilDrained } from './queue-drain';

/**
 * A whole pipeline for an integration test: its own database, queue prefix and cache
 * prefix on the real Redis and PostgreSQL, workers running in-process.
 */
export interface TestSystem {
  config: Config;
  database: TestDatabase;
  infra: Infrastructure;
  /** What the in-process workers write the cache with (as a worker process does). */
  writer: CacheWriter;
  runtime: WorkerRuntime;
  publisher: EventPublisher;
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
}

export async function startTestSystem(options: TestSystemOptions = {}): Promise<TestSystem> {
  const database = await createTestDatabase();
  const id = randomBytes(4).toString('hex');
  const config = loadConfig({
    DATABASE_URL: options.databaseUrlFor ? await options.databaseUrlFor(database.url) : database.url,
    DATABASE_CONNECTION_LIMIT: '20',
    QUEUE_PREFIX: `tq${id}`,
    CACHE_PREFIX: `tc${id}`,
    RECOMPUTE_DEBOUNCE_MS: '20',
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const logger = createLogger({ level: config.logLevel });
  const infra = await createInfrastructure(config, logger);
  const writer = cacheWriter(config, logger, infra.redis, infra.registry);
  const runtime =
    options.workers === false
      ? { queues: Object.values(QUEUE_NAMES).map((n) => new Queue(n, { connection: infra.producerRedis, prefix: config.queuePrefix })), close: async () => undefined }
      : await startWorkerRuntime({ config, logger, db: infra.db, cache: writer, registry: infra.registry, now: options.now }, { scheduler: false });
  const publisher = new EventPublisher({ connection: infra.producerRedis, prefix: config.queuePrefix });
  const queues = new Map<string, Queue>();
  const queue = (name: string) => {
    let q = queues.get(name);
    if (!q) queues.set(name, (q = new Queue(name, { connection: infra.producerRedis, prefix: config.queuePrefix })));
    return q;
  };
  return {
    config,
    database,
    infra,
    writer,
    runtime,
    publisher,
    queue,
    drained(timeoutMs = 60_000) {
      return waitUntilDrained(Object.values(QUEUE_NAMES).map(queue), { timeoutMs });
    },
    async stop() {
      await publisher.close();
      await runtime.close();
      for (const q of queues.values()) {
        await q.obliterate({ force: true }).catch(() => undefined);
        await q.close();
      }
      await infra.close();
      // Whatever the system left on the shared Redis under its own prefixes: queue metadata
      // of queues the test never touched, cache entries, tag sets, generations, rate limits.
      if (config.redis.mode === 'standalone') {
        for (const prefix of [config.queuePrefix, config.cachePrefix]) await deleteKeysWithPrefix(config.redis.url, prefix).catch(() => undefined);
      }
      await database.drop();
    },
  };
}
