import type { ErrorRequestHandler } from 'express';
import { AppError, DependencyUnavailableError } from '@shared/errors/errors';
import { KeySetUnavailableError } from './api-error';
import { JSON_BODY_LIMIT_TEXT } from './json-body';
import { noteRequestFailure } from './request-log';

interface BodyParserError {
  type?: string;
  status?: number;
}

/**
 * One error shape for everything: `{ error: { code, message[, details] } }`. Internal errors
 * get a generic message; the error itself (stack, and a driver's error as its cause) goes to
 * the request's log line, never to the client.
 */
export function errorHandler(): ErrorRequestHandler {
  return (error, _req, res, _next) => {
    const parser = error as BodyParserError;
    let status = 500;
    let body: { code: string; message: string; details?: unknown } = { code: 'E_INTERNAL', message: 'internal error' };
    if (error instanceof AppError) {
      status = error.status;
      body = { code: error.code, message: error.message, ...(error.details !== undefined ? { details: error.details } : {}) };
      if (error instanceof DependencyUnavailableError || error instanceof KeySetUnavailableError) res.setHeader('Retry-After', String(error.retryAfterSeconds));
    } else if (parser.type === 'entity.too.large') {
      status = 413;
      body = { code: 'E_PAYLOAD_TOO_LARGE', message: `the body is larger than ${JSON_BODY_LIMIT_TEXT}` };
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
    noteRequestFailure(res, { error, status, code: body.code });
    if (res.headersSent) return;
    res.status(status).json({ error: body });
  };
}
