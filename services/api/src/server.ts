import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type AppDeps } from './app';

export interface ApiServer {
  port: number;
  close(): Promise<void>;
}

/** Listens on config.port (0 = a free port, logged); close() stops accepting, drains, stops the app's background work, then returns. */
export async function startApiServer(deps: AppDeps): Promise<ApiServer> {
  const app = createApp(deps);
  const server: Server = createServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(deps.config.port, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  deps.logger.info({ port, url: `http://127.0.0.1:${port}` }, 'API listening');
  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 10_000).unref();
      }).then(() => app.close());
      return closing;
    },
  };
}
