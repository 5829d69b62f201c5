import type { RequestHandler } from 'express';

/**
 * The Content-Security-Policy of each HTML page, set by the page's own route (the API's
 * security headers carry none: its answers are JSON). Everything a page loads comes from
 * this process ('self'); no inline script anywhere; the pages call only this API.
 * Inline styles are allowed where a library writes them (Swagger UI, Vega's tooltips).
 */
const COMMON = ["default-src 'self'", "base-uri 'none'", "object-src 'none'", "form-action 'self'", "frame-ancestors 'none'", "img-src 'self' data:"];

export const PAGE_POLICIES = {
  /** Server-rendered, no script at all. */
  start: [...COMMON, "script-src 'none'", "style-src 'self'"].join('; '),
  /** Swagger UI: its bundle and initializer; it calls the API for "Try it out". */
  docs: [...COMMON, "script-src 'self'", "style-src 'self' 'unsafe-inline'", "connect-src 'self'"].join('; '),
  /** Vega with its expression interpreter (vega-embed `ast: true`), so no eval: no 'unsafe-eval'. */
  demo: [...COMMON, "script-src 'self'", "style-src 'self' 'unsafe-inline'", "connect-src 'self'"].join('; '),
} as const;

/** Sets a rendered page's policy; a page that shows live figures is also never cached. */
export function pagePolicy(policy: string, options: { noStore?: boolean } = {}): RequestHandler {
  return (_req, res, next) => {
    res.setHeader('Content-Security-Policy', policy);
    if (options.noStore) res.setHeader('Cache-Control', 'no-store');
    next();
  };
}

/** The headers of a page served as a file (StaticAsset.headers). */
export const pageHeaders = (policy: string): Record<string, string> => ({ 'Content-Security-Policy': policy });
