/**
 * The HTTP load of the reads scenario, run as a CHILD process (`node --import tsx`) so
 * that autocannon does not share the event loop of the server it measures. Reads its
 * options as JSON from argv[2], prints one JSON line with the figures.
 */
import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  connections: number;
  durationSec: number;
  headers?: Record<string, string>;
  /** A fixed path, or `{n}` in the path replaced by offset, offset + 1, … (one new value per request, wrapping at `count`). */
  path: string;
  count?: number;
  offset?: number;
}

export interface LoadResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  non2xx: number;
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
  let n = options.offset ?? 0;
  const varying = options.path.includes('{n}');
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSec,
    headers: options.headers,
    requests: [
      varying
        ? {
            method: 'GET',
            setupRequest: (request) => {
              const value = n;
              n = (n + 1) % (options.count ?? Number.MAX_SAFE_INTEGER);
              return { ...request, path: options.path.replace('{n}', String(value)) };
            },
          }
        : { method: 'GET', path: options.path },
    ],
  });
  const output: LoadResult = {
    rps: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
  process.stdout.write(`${JSON.stringify(output)}\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
