import { createHash } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import type { Queue } from 'bullmq';
import type { Database } from '@shared/db/database';
import type { Logger } from '@shared/logger/logger';
import type { RedisClient } from '@shared/redis/redis-connection';
import { JSON_CONTENT_TYPE } from '../../http/json-response';

const CHECK_TIMEOUT_MS = 2_000;

type Dependency = 'redis' | 'postgres' | 'queues';

/** What /health/ready tells anyone who asks (it needs no key): which dependency, never the driver's words. */
interface Check {
  ok: boolean;
  latencyMs?: number;
  error?: 'unavailable' | `no answer within ${number} ms`;
}

class CheckTimeout extends Error {}

/** A check's public result, and the driver's error behind a failure (for the log only). */
interface Outcome {
  check: Check;
  detail?: unknown;
}

async function probe(work: () => Promise<unknown>): Promise<Outcome> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([work(), new Promise((_, reject) => (timer = setTimeout(() => reject(new CheckTimeout()), CHECK_TIMEOUT_MS)))]);
    return { check: { ok: true, latencyMs: Math.round((performance.now() - started) * 100) / 100 } };
  } catch (error) {
    if (error instanceof CheckTimeout) return { check: { ok: false, error: `no answer within ${CHECK_TIMEOUT_MS} ms` } };
    return { check: { ok: false, error: 'unavailable' }, detail: error };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The driver's error of a failing check goes to the log — once when it starts (or changes),
 * and once when the dependency is back — not once per probe: readiness is polled every few
 * seconds, and each failing probe already has its request line at warn.
 */
function dependencyLog(logger: Logger): (dependency: Dependency, outcome: Outcome) => void {
  const lastLogged = new Map<Dependency, string>();
  return (dependency, { check, detail }) => {
    const previous = lastLogged.get(dependency);
    if (check.ok) {
      if (previous !== undefined) logger.info({ dependency }, 'readiness: dependency is back');
      lastLogged.delete(dependency);
      return;
    }
    const reason = detail instanceof Error ? detail.message : String(check.error);
    if (reason === previous) return;
    lastLogged.set(dependency, reason);
    logger.warn({ dependency, reason: check.error, ...(detail === undefined ? {} : { err: detail }) }, 'readiness: dependency is down');
  };
}

/** Where the health routes are mounted: other paths never enter their router. */
export const HEALTH_PATH = '/health';
export const LIVE_PATH = '/health/live';

/**
 * GET /health/live: the process runs. Polled often and a constant, so its answer is built
 * once — the body `{"status":"ok"}` and the headers res.json gave it, the same weak ETag
 * included (a 304 for a matching If-None-Match, as res.send answers) — and it is meant to
 * be mounted on the app itself (LIVE_PATH), not inside a router.
 */
export function liveHandler(): RequestHandler {
  const body = Buffer.from(JSON.stringify({ status: 'ok' }));
  // Express's default ETag of a body (the `etag` package, weak): length in hex and 27 characters of its SHA-1.
  const etag = `W/"${body.length.toString(16)}-${createHash('sha1').update(body).digest('base64').slice(0, 27)}"`;
  return (req, res) => {
    res.setHeader('Content-Type', JSON_CONTENT_TYPE);
    res.setHeader('Content-Length', body.length);
    res.setHeader('ETag', etag);
    if (req.fresh) {
      res.removeHeader('Content-Type');
      res.removeHeader('Content-Length');
      res.statusCode = 304;
      res.end();
    } else res.end(body);
  };
}

/** The mode a process runs in and the dependencies it runs without (the embedded mode has no Redis). */
export interface RuntimeReport {
  mode: 'server' | 'embedded';
  absent: string[];
}

/** What /health/ready answers: each dependency's check, the mode where something is absent. */
export interface Readiness {
  ok: boolean;
  body: { status: 'ok' | 'unavailable'; mode?: RuntimeReport['mode']; absent?: string[]; checks: Partial<Record<Dependency, Check>> };
}

export interface ReadinessDeps {
  db: Pick<Database, 'pool'>;
  redis: Pick<RedisClient, 'ping'> | null;
  queues: Queue[];
  logger: Logger;
  runtime?: RuntimeReport;
}

/**
 * Redis, PostgreSQL and the queues, each probed (2 s at most) and reported; the one check
 * behind /health/ready and the start page. Without Redis (`redis: null`, the embedded mode)
 * there is no Redis check: the body says so (`mode`, `absent`) instead of failing.
 */
export function readinessCheck(deps: ReadinessDeps): () => Promise<Readiness> {
  const logDependency = dependencyLog(deps.logger);
  return async () => {
    const redisClient = deps.redis;
    const [redis, postgres, queues] = await Promise.all([
      redisClient ? probe(() => redisClient.ping()) : null,
      probe(() => deps.db.pool.query('SELECT 1')),
      probe(() => Promise.all(deps.queues.map((q) => q.getJobCounts('waiting')))),
    ]);
    const outcomes: Partial<Record<Dependency, Outcome>> = { ...(redis ? { redis } : {}), postgres, queues };
    for (const [dependency, outcome] of Object.entries(outcomes) as [Dependency, Outcome][]) logDependency(dependency, outcome);
    const ok = (redis?.check.ok ?? true) && postgres.check.ok && queues.check.ok;
    const checks = { ...(redis ? { redis: redis.check } : {}), postgres: postgres.check, queues: queues.check };
    const runtime = deps.runtime && deps.runtime.absent.length > 0 ? { mode: deps.runtime.mode, absent: deps.runtime.absent } : {};
    return { ok, body: { status: ok ? 'ok' : 'unavailable', ...runtime, checks } };
  };
}

/** /health/ready: Redis, PostgreSQL and the queues answer (503 if one does not). Paths relative to HEALTH_PATH. */
export function healthRouter(deps: { ready: () => Promise<Readiness> }): Router {
  const router = Router();
  router.get('/ready', async (_req, res) => {
    const { ok, body } = await deps.ready();
    res.status(ok ? 200 : 503).json(body);
  });
  return router;
}
