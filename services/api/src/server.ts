import { createServer, type Server } from 'node:http';
import type { Config } from '@shared/config/config';
import { listeningAddress, stopListening } from '@shared/runtime/http-listening';
import { createApp, type AppDeps } from './app';

export interface ApiServer {
  port: number;
  /** The address listened on: 127.0.0.1 (loopback only), :: or 0.0.0.0 (every interface), or HOST's. */
  host: string;
  close(): Promise<void>;
}

/**
 * What the start line says about who can reach the API: the interfaces, and why those. An
 * API without keys answers every route to anyone who connects, so it is on loopback unless
 * HOST was set; that choice is spelled out where an operator looks first.
 */
export function exposureOf(config: Pick<Config, 'listen' | 'apiKeys'>): string {
  const open = config.apiKeys.length === 0;
  switch (config.listen.chosen) {
    case 'loopback-without-keys':
      return 'loopback only: API_KEYS is not set, so every route is open and only this machine may connect (set API_KEYS, and HOST, to listen on other interfaces)';
    case 'HOST':
      return open ? `HOST=${config.listen.host} with no API_KEYS: every route is open to anyone who reaches that address` : `HOST=${config.listen.host}`;
    case 'all-interfaces':
      return 'every interface (API_KEYS is set; HOST restricts it)';
  }
}

/** Listens on config.port (0 = a free port, logged) and config.listen.host; close() stops accepting, drains, stops the app's background work, then returns. */
export async function startApiServer(deps: AppDeps): Promise<ApiServer> {
  const app = createApp(deps);
  const server: Server = createServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(deps.config.port, deps.config.listen.host ?? undefined, () => resolve());
  });
  const { port, host, url } = listeningAddress(server);
  deps.logger.info({ port, host, url, interfaces: exposureOf(deps.config) }, 'API listening');
  let closing: Promise<void> | undefined;
  return {
    port,
    host,
    close() {
      closing ??= stopListening(server, 10_000).then(() => app.close());
      return closing;
    },
  };
}
