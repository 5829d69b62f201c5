import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { EventPublisher } from '@shared/queues/event-publisher';
import { closeRedis, createRedisConnection, waitForRedis } from '@shared/redis/redis-connection';
import { createTestDatabase } from './database';
import { deleteKeysWithPrefix } from './redis-keys';
import { stopAllProcesses } from './processes';
import { QueueProbe } from './pipeline-probe';

const REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * What a test that runs worker *processes* needs around them: its own database and key
 * prefixes on the shared services, a publisher (the study app), a probe on the queues, the
 * environment to start workers with, and one close() that removes all of it.
 */
export interface WorkerProcessFixture {
  pool: pg.Pool;
  probe: QueueProbe;
  publisher: EventPublisher;
  /** DATABASE_URL, REDIS_URL, prefixes, small pools, plus the test's own settings. */
  env: Record<string, string>;
  rowCount(): Promise<number>;
  close(): Promise<void>;
}

export async function startWorkerProcessFixture(tag: string, settings: Record<string, string>): Promise<WorkerProcessFixture> {
  const id = randomBytes(4).toString('hex');
  const [queuePrefix, cachePrefix] = [`${tag}${id}`, `${tag}c${id}`];
  const database = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  const probe = new QueueProbe(REDIS_URL, queuePrefix);
  const producer = createRedisConnection({ mode: 'standalone', url: REDIS_URL }, 'producer');
  producer.on('error', () => undefined);
  await waitForRedis(producer);
  const publisher = new EventPublisher({ connection: producer, prefix: queuePrefix });
  const env = {
    DATABASE_URL: database.url,
    DATABASE_CONNECTION_LIMIT: '4',
    REDIS_URL,
    QUEUE_PREFIX: queuePrefix,
    CACHE_PREFIX: cachePrefix,
    RECOMPUTE_DEBOUNCE_MS: '20',
    ...settings,
  };
  return {
    pool,
    probe,
    publisher,
    env,
    rowCount: async () => (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM behavioral_events')).rows[0]!.n,
    async close() {
      await stopAllProcesses();
      await publisher.close();
      await closeRedis(producer);
      await probe.close();
      for (const prefix of [queuePrefix, cachePrefix]) await deleteKeysWithPrefix(REDIS_URL, prefix).catch(() => undefined);
      await pool.end();
      await database.drop();
    },
  };
}
