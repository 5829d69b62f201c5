import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';
import type { ArrivalStep } from './every-request';

export type HeaderList = ReadonlyArray<readonly [name: string, value: string]>;

/**
 * The security headers of a JSON API, as helmet options: what protects an answer that a
 * browser may fetch, and nothing meant for an HTML document (the pages add their own policy,
 * page-policy.ts). Five headers instead of helmet's eleven — each is written on every
 * response, the most frequent of which is a cached read. Why each (README, "Security headers"):
 */
export const JSON_API_HEADERS: Readonly<HelmetOptions> = {
  // Kept: a browser never sniffs an answer into HTML or script.
  xContentTypeOptions: true,
  // Kept: behind TLS, browsers stay on HTTPS (a bearer key never goes out in clear); ignored over plain HTTP.
  strictTransportSecurity: true,
  // Kept: another site's <script>/<img> cannot load an answer (no-cors); CORS fetches are governed by CORS.
  crossOriginResourcePolicy: { policy: 'same-origin' },
  // Kept: a page of this API (Bull Board, the docs) following a link sends no URL, which names a user.
  referrerPolicy: { policy: 'no-referrer' },
  // Kept, as CSP's frame-ancestors rather than X-Frame-Options, which it supersedes: no other site
  // frames Bull Board's actions. Nothing else of CSP: an answer runs nothing, and Bull Board's
  // page its own scripts; each page of ours sets its full policy (page-policy.ts).
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: helmet.contentSecurityPolicy.dangerouslyDisableDefaultSrc, frameAncestors: ["'none'"] } },
  // Dropped: superseded by frame-ancestors above.
  xFrameOptions: false,
  // Dropped: for documents that open windows or share a process, which a JSON answer never is.
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  // Dropped: DNS prefetching of links in HTML; an answer has none.
  xDnsPrefetchControl: false,
  // Dropped: Internet Explorer 8's download prompt, Flash and Acrobat's cross-domain files, the retired XSS auditor.
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
};

/**
 * helmet's security headers, worked out once at start and written as a constant list on
 * every response. helmet runs a chain of a dozen small middlewares per request to set values
 * that never change with the request (in-process, 8–10 µs per request against 5 µs for the
 * list; most of what is left is Node's own setHeader); the list is read from helmet itself,
 * so its defaults, a helmet upgrade and `options` decide the headers, exactly as before.
 */
export function securityHeaders(options: Readonly<HelmetOptions>): ArrivalStep {
  const headers = headersSetBy(helmet(options));
  return (_req, res) => {
    for (const [name, value] of headers) res.setHeader(name, value);
  };
}

type NodeMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * The headers a middleware sets, by running it once against a recorder. Only a middleware
 * whose headers do not depend on the request qualifies (helmet without a CSP nonce): one
 * that reads the request, or does not finish at once, fails here, at start.
 */
export function headersSetBy(middleware: NodeMiddleware): HeaderList {
  const headers: [string, string][] = [];
  let finished = false;
  const recorder = {
    setHeader: (name: string, value: number | string | readonly string[]) => headers.push([name, String(value)]),
    // helmet removes X-Powered-By, which the app never sets (Express's is disabled).
    removeHeader: () => undefined,
  };
  const noRequest = new Proxy({} as IncomingMessage, {
    get: (_target, property) => {
      throw new Error(`the middleware reads req.${String(property)}: its headers depend on the request`);
    },
  });
  middleware(noRequest, recorder as unknown as ServerResponse, (error) => {
    if (error) throw error;
    finished = true;
  });
  if (!finished) throw new Error('the middleware did not finish synchronously: its headers cannot be worked out once');
  return headers;
}
