import { Router, type Request, type Response } from 'express';
import { ValidationError } from '@shared/errors/errors';
import type { EventPublisher } from '@shared/queues/event-publisher';
import type { Authenticator } from '../../http/auth';
import { jsonBody } from '../../http/json-body';
import { requestIdOf } from '../../http/request-id';
import type { RequestHandler } from 'express';

function bodyArray(req: Request, field: 'events' | 'sessions'): unknown[] {
  const body = req.body as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ValidationError(`the body must be a JSON object { "${field}": [...] }`);
  const extra = Object.keys(body).filter((k) => k !== field);
  if (extra.length > 0) throw new ValidationError(`unknown field(s) ${extra.join(', ')}: the body is { "${field}": [...] }`);
  if (!Array.isArray(body[field])) throw new ValidationError(`"${field}" must be an array`);
  return body[field] as unknown[];
}

/**
 * POST /api/events and /api/sessions: validation all or nothing (400, nothing enqueued); 202
 * once every event is queued; 503 means some of them may be queued (EventPublisher): the
 * client re-sends the batch, and re-sending the same ids is safe.
 * Who is calling, and whether that caller has budget left, is settled before the body is read.
 */
export function ingestRouter(deps: { auth: Authenticator; publisher: EventPublisher; rateLimit: RequestHandler }): Router {
  const router = Router();
  const guard = [deps.auth.require('ingest'), deps.rateLimit, jsonBody()];
  router.post('/api/events', ...guard, async (req: Request, res: Response) => {
    const result = await deps.publisher.publishEvents(bodyArray(req, 'events'), { requestId: requestIdOf(res) });
    res.status(202).json(result);
  });
  router.post('/api/sessions', ...guard, async (req: Request, res: Response) => {
    const result = await deps.publisher.publishSessionCompleted(bodyArray(req, 'sessions'), { requestId: requestIdOf(res) });
    res.status(202).json(result);
  });
  return router;
}
