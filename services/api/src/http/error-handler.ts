import type { ErrorRequestHandler } from 'express';
import { AppError, DependencyUnavailableError } from '@shared/errors/errors';
import { KeySetUnavailableError } from './api-error';
import type { ApiRequest, ApiResponse } from './every-request';
import { JSON_BODY_LIMIT_TEXT } from './json-body';
import { endWithJson } from './json-response';
import { noteRequestFailure } from './request-log';

interface BodyParserError {
  type?: string;
  status?: number;
}

export interface ErrorAnswer {
  status: number;
  body: { code: string; message: string; details?: unknown };
  /** Seconds, for a dependency that is down: sent as Retry-After. */
  retryAfterSeconds?: number;
}

/**
 * One error shape for everything: `{ error: { code, message[, details] } }`. Internal errors
 * get a generic message; the error itself (stack, and a driver's error as its cause) goes to
 * the request's log line, never to the client.
 */
export function errorAnswerOf(error: unknown): ErrorAnswer {
  const parser = error as BodyParserError;
  if (error instanceof AppError) {
    const body = { code: error.code, message: error.message, ...(error.details !== undefined ? { details: error.details } : {}) };
    const retryAfter = error instanceof DependencyUnavailableError || error instanceof KeySetUnavailableError ? { retryAfterSeconds: error.retryAfterSeconds } : {};
    return { status: error.status, body, ...retryAfter };
  }
  if (parser.type === 'entity.too.large') return { status: 413, body: { code: 'E_PAYLOAD_TOO_LARGE', message: `the body is larger than ${JSON_BODY_LIMIT_TEXT}` } };
  if (parser.type === 'entity.parse.failed') return { status: 400, body: { code: 'E_INVALID_JSON', message: 'the body is not valid JSON' } };
  if (parser.type === 'charset.unsupported' || parser.type === 'encoding.unsupported') return { status: 415, body: { code: 'E_UNSUPPORTED_MEDIA_TYPE', message: 'send UTF-8 JSON' } };
  if (typeof parser.status === 'number' && parser.status >= 400 && parser.status < 500) return { status: parser.status, body: { code: 'E_BAD_REQUEST', message: 'bad request' } };
  return { status: 500, body: { code: 'E_INTERNAL', message: 'internal error' } };
}

/**
 * Answers a failed request with its error, whether Express routed it or not (no ETag: an
 * error is never revalidated). Once the headers are out there is no answer left to give:
 * the connection is closed, so the client sees a failure rather than a cut body.
 */
export function sendError(req: ApiRequest, res: ApiResponse, error: unknown): void {
  const { status, body, retryAfterSeconds } = errorAnswerOf(error);
  noteRequestFailure(res, { error, status, code: body.code });
  if (res.headersSent) return void res.destroy();
  res.statusCode = status;
  if (retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(retryAfterSeconds));
  endWithJson(req, res, Buffer.from(JSON.stringify({ error: body })));
}

/** The error handler of the Express app. */
export function errorHandler(): ErrorRequestHandler {
  return (error, req, res, _next) => sendError(req, res, error);
}
