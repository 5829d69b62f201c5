import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Where a listening server can be reached, for its start line: the port, the address it
 * listens on, and a URL a person on this machine can open (an "every interface" address
 * is not one to type; an IPv6 address needs brackets).
 */
export function listeningAddress(server: Server): { port: number; host: string; url: string } {
  const { port, address: host } = server.address() as AddressInfo;
  const local = host === '::' || host === '0.0.0.0' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return { port, host, url: `http://${local}:${port}` };
}

/**
 * Stops accepting connections and resolves once the server is closed. Connections still
 * open are given `drainMs` to finish their requests (idle ones close at once), then cut.
 */
export function stopListening(server: Server, drainMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    if (drainMs <= 0) server.closeAllConnections();
    else {
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), drainMs).unref();
    }
  });
}
