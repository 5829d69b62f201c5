import { Router } from 'express';
import type { Queue } from 'bullmq';
import type { Database } from '@shared/db/prisma-client';
import type { RedisClient } from '@shared/redis/redis-connection';

interface Check {
  ok: boolean;
  latencyMs?: number;
  error?: string;
}

async function check(work: () => Promise<unknown>, timeoutMs = 2_000): Promise<Check> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([work(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)))]);
    return { ok: true, latencyMs: Math.round((performance.now() - started) * 100) / 100 };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** /health/live: the process runs. /health/ready: Redis, PostgreSQL and the queues answer (503 if one does not). */
export function healthRouter(deps: { db: Pick<Database, 'pool'>; redis: RedisClient; queues: Queue[] }): Router {
  const router = Router();
  router.get('/health/live', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/health/ready', async (_req, res) => {
    const [redis, postgres, queues] = await Promise.all([
      check(() => deps.redis.ping()),
      check(() => deps.db.pool.query('SELECT 1')),
      check(() => Promise.all(deps.queues.map((q) => q.getJobCounts('waiting')))),
    ]);
    const ok = redis.ok && postgres.ok && queues.ok;
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', checks: { redis, postgres, queues } });
  });
  return router;
}
