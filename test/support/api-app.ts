import { createApp, type ApiApp, type AppDeps } from '../../services/api/src/app';
import { appDepsOf } from '../../services/api/src/main';
import { createLogger } from '@shared/logger/logger';
import type { TestSystem } from './system';

export const KEYS = { ingest: 'ingest-key-0123456789', read: 'read-key-0123456789ab', admin: 'admin-key-0123456789a' };
export const API_KEYS_ENV = `ingest:${KEYS.ingest},read:${KEYS.read},admin:${KEYS.admin}`;
export const bearer = (role: keyof typeof KEYS) => ({ Authorization: `Bearer ${KEYS[role]}` });
/** An X-Request-Id the API made up: its process's random prefix, a dash, a counter in base 36. */
export const GENERATED_REQUEST_ID = /^[0-9a-f]{12}-[0-9a-z]+$/;

/**
 * What createApp needs, from a test system: what bootApi would serve, with a silent logger,
 * and the test's own config and connections (a test may swap them, e.g. a registry per app).
 */
export function appDepsFor(test: TestSystem): AppDeps {
  const { db, cache, redis, registry } = test.infra;
  return { ...appDepsOf(test.system), config: test.config, logger: createLogger({ level: 'silent' }), db, cache, redis, registry };
}

/** The real Express app over a test system's connections (supertest drives it over real HTTP). */
export function appFor(system: TestSystem): ApiApp {
  return createApp(appDepsFor(system));
}
