import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config/config';

/**
 * The one place Redis connections are made. The role decides how a connection behaves
 * while Redis is down:
 * - `worker`: BullMQ workers block on Redis and must retry forever (`maxRetriesPerRequest: null`).
 * - `producer`: enqueueing from an HTTP request must fail fast so the client gets a 503
 *   instead of a hanging request; no offline queue.
 * - `cache`: the read path; fails fast, short command timeout, falls back to L1 and PostgreSQL;
 *   auto-pipelined: the L2 reads of concurrent requests leave in one write (one system call
 *   per read was a fifth of an L2 hit's CPU).
 * - `writer`: the workers' cache write-through; fails fast while Redis is down, but gives a
 *   batch's pipeline (tens of scripts) time to be answered on a busy machine.
 * - `subscriber`: pub/sub for cache invalidation; reconnects forever.
 */
export type RedisRole = 'worker' | 'producer' | 'cache' | 'writer' | 'subscriber';
export type RedisClient = Redis | Cluster;

const RETRY_CAP_MS = 2_000;

/**
 * Commands issued in the same tick go out in one write. A worker issues many small commands
 * at once (one job's move per slot of its concurrency), and each socket write is a system
 * call that cost more CPU here than the command's own work in Redis. Blocking commands
 * (BullMQ's own connection waits on BZPOPMIN) are never held back behind others.
 */
const AUTO_PIPELINING: RedisOptions = {
  enableAutoPipelining: true,
  autoPipeliningIgnoredCommands: ['bzpopmin', 'bzpopmax', 'blpop', 'brpop', 'blmove', 'brpoplpush', 'xread', 'xreadgroup'],
};

function roleOptions(role: RedisRole): RedisOptions {
  // Exponential backoff 50 ms → 2 s, forever: the connection heals by itself when Redis returns.
  const retryStrategy = (times: number) => Math.min(50 * 2 ** Math.min(times, 10), RETRY_CAP_MS);
  switch (role) {
    case 'worker':
      return { maxRetriesPerRequest: null, enableOfflineQueue: true, retryStrategy, ...AUTO_PIPELINING };
    case 'subscriber':
      return { maxRetriesPerRequest: null, enableOfflineQueue: true, retryStrategy };
    case 'producer':
      return { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000, retryStrategy, ...AUTO_PIPELINING };
    case 'cache':
      return { maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 1_000, commandTimeout: 500, retryStrategy, ...AUTO_PIPELINING };
    case 'writer':
      return { maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 2_000, commandTimeout: 5_000, retryStrategy };
  }
}

export function createRedisConnection(
  target: Config['redis'],
  role: RedisRole,
  connectionName = `study-analytics:${role}`,
): RedisClient {
  const options: RedisOptions = { ...roleOptions(role), connectionName, lazyConnect: false };
  if (target.mode === 'cluster') {
    return new Cluster(target.nodes, {
      redisOptions: { ...options, password: target.password },
      enableOfflineQueue: options.enableOfflineQueue,
      enableAutoPipelining: options.enableAutoPipelining,
      autoPipeliningIgnoredCommands: options.autoPipeliningIgnoredCommands,
      maxRedirections: 16,
      clusterRetryStrategy: options.retryStrategy,
      ...(role === 'worker' || role === 'subscriber' ? {} : { enableReadyCheck: true }),
    });
  }
  return new Redis(target.url, { ...options, password: target.password, db: target.db });
}

/** Resolves once the client is ready, or rejects with a one-line reason after `timeoutMs`. */
export async function waitForRedis(client: RedisClient, timeoutMs = 5_000): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    let lastError = '';
    const onError = (error: Error) => {
      lastError = error.message;
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis is not reachable after ${timeoutMs} ms${lastError ? `: ${lastError}` : ''}`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
    };
    client.on('ready', onReady);
    client.on('error', onError);
  });
}

/** Closes a client we created; never throws (a dead Redis must not block shutdown). */
export async function closeRedis(client: RedisClient): Promise<void> {
  try {
    if (client.status === 'end') return;
    if (client.status === 'ready') await client.quit();
    else client.disconnect();
  } catch {
    client.disconnect();
  }
}

/**
 * BullMQ loses jobs when Redis evicts keys. Returns a warning when the policy is not
 * `noeviction`, or null when all is well (or the server does not let us read it).
 */
export async function checkEvictionPolicy(client: RedisClient): Promise<string | null> {
  try {
    const nodes = client instanceof Cluster ? client.nodes('master') : [client];
    for (const node of nodes) {
      const reply = (await node.config('GET', 'maxmemory-policy')) as string[];
      const policy = reply[1];
      if (policy && policy !== 'noeviction') {
        return `Redis maxmemory-policy is "${policy}": queued jobs can be evicted and lost. Set it to "noeviction".`;
      }
    }
    return null;
  } catch {
    return null;
  }
}
