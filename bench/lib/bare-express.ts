import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';

/**
 * The reads' yardstick: an Express route that returns a constant JSON body with `res.json`
 * (so it pays Express's router, `JSON.stringify` and the ETag hash on each request), on a
 * keep-alive server like the API's.
 */
export async function startBareExpress(body: unknown, path = '/bare'): Promise<{ server: Server; port: number }> {
  const app = express();
  app.disable('x-powered-by');
  app.get(path, (_req, res) => {
    res.json(body);
  });
  const server = createServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, port: (server.address() as AddressInfo).port };
}
