import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';
import type { ArrivalStep } from './every-request';

export type HeaderList = ReadonlyArray<readonly [name: string, value: string]>;

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
