import { closeRedis, createRedisConnection, waitForRedis, type RedisClient } from '@shared/redis/redis-connection';

/** A ready connection of `role` to a test's private redis-server; its close is pushed onto `cleanups`. */
export async function privateRedisClient(url: string, role: 'producer' | 'cache', cleanups: (() => Promise<unknown>)[]): Promise<RedisClient> {
  const client = createRedisConnection({ mode: 'standalone', url }, role);
  client.on('error', () => undefined);
  await waitForRedis(client);
  cleanups.push(() => closeRedis(client));
  return client;
}
