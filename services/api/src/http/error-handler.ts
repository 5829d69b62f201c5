import type { ErrorRequestHandler } from 'express';
import { AppError, DependencyUnavailableError } from '@shared/errors/errors';
import type { Logger } from '@shared/logger/logger';
import { KeySetUnavailableError } from './api-error';

interface BodyParserError {
  type?: string;
  status?: number;
}

/**
 * One error shape for everything: `{ error: { code, message[, details] } }`. Internal errors
 * get a generic message (the details go to the log, never to the client); 5xx are logged at
 * error level, 4xx at debug.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const parser = error as BodyParserError;
    let status = 500;
    let body: { code: string; message: string; details?: unknown } = { code: 'E_INTERNAL', message: 'internal error' };
    if (error instanceof AppError) {
      status = error.status;
      body = { code: error.code, message: error.message, ...(error.details !== undefined ? { details: error.details } : {}) };
      if (error instanceof DependencyUnavailableError || error instanceof KeySetUnavailableError) res.setHeader('Retry-After', String(error.retryAfterSeconds));
    } else if (parser.type === 'entity.too.large') {
      status = 413;
      body = { code: 'E_PAYLOAD_TOO_LARGE', message: 'the body is larger than 1 MiB' };
    } else if (parser.type === 'entity.parse.failed') {
      status = 400;
      body = { code: 'E_INVALID_JSON', message: 'the body is not valid JSON' };
    } else if (parser.type === 'charset.unsupported' || parser.type === 'encoding.unsupported') {
      status = 415;
      body = { code: 'E_UNSUPPORTED_MEDIA_TYPE', message: 'send UTF-8 JSON' };
    } else if (typeof parser.status === 'number' && parser.status >= 400 && parser.status < 500) {
      status = parser.status;
      body = { code: 'E_BAD_REQUEST', message: 'bad request' };
    }
    const log = status >= 500 ? logger.error.bind(logger) : logger.debug.bind(logger);
    log({ err: error, status, path: req.path, reqId: (req as { id?: unknown }).id }, 'request failed');
    if (res.headersSent) return;
    res.status(status).json({ error: body });
  };
}
