import type { Pool } from 'pg';
import type { Logger } from '../logger/logger';

/**
 * BullMQ's PostgreSQL backend appends every job's lifecycle events to its `event` table and
 * does not trim it (Redis caps its event stream at 10,000 entries per queue). In the
 * embedded mode the API process trims it the same way: every `intervalMs`, each queue keeps
 * its newest `keep` events (QueueEvents readers page forward by id, as with a capped stream).
 */
export function startQueueEventTrimmer(options: { pool: Pick<Pool, 'query'>; schema?: string; keep?: number; intervalMs?: number; logger?: Logger }): { stop(): void } {
  const schema = options.schema ?? 'bullmq';
  const keep = options.keep ?? 10_000;
  const sql = `DELETE FROM "${schema}".event e USING (SELECT queue, max(id) - $1::bigint AS floor FROM "${schema}".event GROUP BY queue) m WHERE e.queue = m.queue AND e.id < m.floor`;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    options.pool
      .query(sql, [keep])
      .then((result) => result.rowCount && options.logger?.debug({ deleted: result.rowCount }, 'trimmed the queues\' event table'))
      .catch((error: Error) => options.logger?.debug({ err: error.message }, 'could not trim the queues\' event table'))
      .finally(() => (running = false));
  }, options.intervalMs ?? 60_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
