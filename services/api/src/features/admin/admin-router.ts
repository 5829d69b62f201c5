import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Router } from 'express';
import type { Queue } from 'bullmq';
import type { HybridCache } from '@shared/cache/hybrid-cache';
import type { Authenticator } from '../../http/auth';

/** Operators: cache statistics (origin report shape) and Bull Board, both behind the admin key. */
export function adminRouter(deps: { auth: Authenticator; cache: HybridCache; queues: Queue[]; readOnly: boolean }): Router {
  const router = Router();
  router.get('/api/admin/cache/stats', deps.auth.require('admin'), (_req, res) => {
    res.json(deps.cache.getStats());
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
