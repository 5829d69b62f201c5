import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '@shared/logger/logger';
import { StartupError } from '@shared/runtime/infrastructure';
import { listeningAddress, stopListening } from '@shared/runtime/http-listening';

export interface MetricsServer {
  port: number;
  host: string;
  close(): Promise<void>;
}

/**
 * A worker process's own /metrics (`pnpm start:worker` with METRICS_PORT): the pipeline's
 * figures — recomputes, freshness (`event_to_visible_seconds`), ingest steps, jobs — are
 * observed where the work runs, and a worker started apart from the API (docker-compose,
 * scaling out) shares no process with one that could serve them. Without this, Prometheus
 * scraping only the API saw no freshness observation at all and every freshness rule
 * evaluated to NaN. Nothing else is served: no route, no body read, no key needed (the same
 * figures as the API's /metrics, which needs none either).
 */
export async function startMetricsServer(options: { registry: Registry; port: number; host: string | null; logger: Logger }): Promise<MetricsServer> {
  const { registry, logger } = options;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('only GET /metrics here\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(req.method === 'HEAD' ? undefined : text),
      (error: Error) => {
        logger.error({ err: error }, 'metrics collection failed');
        res.writeHead(500).end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new StartupError(`METRICS_PORT: cannot listen on ${options.host ?? '*'}:${options.port} (${error.code ?? error.message}); another process may hold it`)),
    );
    server.listen(options.port, options.host ?? undefined, () => resolve());
  });
  const { port, host, url } = listeningAddress(server);
  logger.info({ port, host, url: `${url}/metrics` }, 'metrics listening');
  let closing: Promise<void> | undefined;
  return {
    port,
    host,
    close() {
      // A scrape is one short request: nothing to drain.
      closing ??= stopListening(server, 0);
      return closing;
    },
  };
}
