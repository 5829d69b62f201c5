import express, { type RequestHandler } from 'express';

export const JSON_BODY_LIMIT_TEXT = '1 MiB';

/**
 * The JSON body parser, for the routes that take a body. It runs after a route's
 * authentication (and rate limit), never before: a caller without a valid key gets 401
 * without the API reading, buffering or parsing up to a mebibyte of its body.
 */
export function jsonBody(): RequestHandler {
  return express.json({ limit: '1mb', strict: true, type: ['application/json', 'application/*+json'] });
}
