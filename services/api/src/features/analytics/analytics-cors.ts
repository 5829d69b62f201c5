import cors from 'cors';
import type { RequestHandler } from 'express';

/**
 * CORS for the analytics routes (SPEC 4.1), so a dashboard in the student's browser can call
 * them with its user token: middleware to mount at the analytics routes' path, before them
 * (none without configured origins). Only the configured origins get CORS headers, and only there:
 * ingest, admin and Bull Board are for services and operators, never for a page on another
 * origin. The Authorization header travels explicitly (no cookies), so credentials mode
 * stays off.
 *
 * helmet's `Cross-Origin-Resource-Policy: same-origin` stays: browsers apply it only to
 * no-cors requests (a <script> or <img> of another site), which it still blocks, while a
 * CORS fetch from an allowed origin is governed by the headers below.
 */
export const PREFLIGHT_MAX_AGE_SECONDS = 600;

export function analyticsCors(allowedOrigins: readonly string[]): RequestHandler[] {
  if (allowedOrigins.length === 0) return [];
  const allowed = new Set(allowedOrigins);
  // Every analytics response depends on the Origin (some carry CORS headers, some not), so
  // a shared cache must key on it, whichever origin asked first.
  const varyOnOrigin: RequestHandler = (_req, res, next) => {
    res.vary('Origin');
    next();
  };
  const corsForAllowedOrigins = cors({
    // `false` for any other origin makes the middleware step aside entirely: no CORS header
    // at all, and a preflight gets no 204 (cors would otherwise still send the allowed methods).
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin) ? origin : false),
    methods: ['GET', 'POST'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    exposedHeaders: ['X-Cache', 'X-Request-Id'],
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
  });
  return [varyOnOrigin, corsForAllowedOrigins];
}
