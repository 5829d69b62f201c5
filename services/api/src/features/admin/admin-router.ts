import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Router } from 'express';
import type { Queue } from 'bullmq';
import type { ReadCache } from '@shared/cache/read-cache';
import type { Authenticator } from '../../http/auth';
import type { RuntimeReport } from '../health/health-controller';

/** Operators: cache statistics (origin report shape) and Bull Board, both behind the admin key. */
export function adminRouter(deps: { auth: Authenticator; cache: ReadCache; queues: Queue[]; readOnly: boolean; runtime?: RuntimeReport }): Router {
  const router = Router();
  // Without an L2 (the embedded mode) the stats say so beside the origin report's fields.
  const runtime = deps.runtime && deps.runtime.absent.length > 0 ? { mode: deps.runtime.mode, absent: deps.runtime.absent } : {};
  router.get('/api/admin/cache/stats', deps.auth.require('admin'), (_req, res) => {
    res.json({ ...deps.cache.getStats(), ...runtime });
  });
  const board = new ExpressAdapter();
  board.setBasePath('/admin/queues');
  createBullBoard({
    queues: deps.queues.map((queue) => new BullMQAdapter(queue as never, { readOnlyMode: deps.readOnly })),
    serverAdapter: board,
    // showMetrics: the jobs-per-minute charts, fed by the workers' BullMQ `metrics` option.
    options: { uiConfig: { boardTitle: 'study analytics', showMetrics: true } },
  });
  // Bull Board has no auth of its own; a browser can open it with basic auth (admin key as password).
  router.use('/admin/queues', deps.auth.require('admin', { basicRealm: 'bull-board' }), board.getRouter());
  return router;
}
