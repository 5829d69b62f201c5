import type { Express } from 'express';
import { createApp } from '../../services/api/src/app';
import { closeRedis, createRedisConnection } from '@shared/redis/redis-connection';
import { createLogger } from '@shared/logger/logger';
import type { TestSystem } from './system';

export const KEYS = { ingest: 'ingest-key-0123456789', read: 'read-key-0123456789ab', admin: 'admin-key-0123456789a' };
export const API_KEYS_ENV = `ingest:${KEYS.ingest},read:${KEYS.read},admin:${KEYS.admin}`;
export const bearer = (role: keyof typeof KEYS) => ({ Authorization: `Bearer ${KEYS[role]}` });

/** The real Express app over a test system's connections (supertest drives it over real HTTP). */
export function appFor(system: TestSystem): { app: Express; close(): Promise<void> } {
  const blockingConnection = createRedisConnection(system.config.redis, 'worker');
  blockingConnection.on('error', () => undefined);
  const { app, close } = createApp({
    config: system.config,
    logger: createLogger({ level: 'silent' }),
    db: system.infra.db,
    cache: system.infra.cache,
    publisher: system.publisher,
    queues: system.runtime.queues,
    blockingConnection,
    redis: system.infra.redis,
    registry: system.infra.registry,
  });
  return {
    app,
    async close() {
      await close();
      await closeRedis(blockingConnection);
    },
  };
}
