import type { RuntimeMode } from '@shared/config/config';

/**
 * Where `pnpm simulate` sends its messages when no `--via` is given: to what `pnpm start`
 * runs on this machine, chosen the way `pnpm start` chose its mode (README, "Modes").
 *
 * - Servers configured (REDIS_URL, REDIS_CLUSTER_NODES, DATABASE_URL, production): the server
 *   mode, so the queues on that Redis, as always. Nothing is probed: a configured system is
 *   never swapped for whatever happens to listen on the default port.
 * - Nothing configured: `pnpm start` ran embedded unless a server answered, so the API at the
 *   default URL is asked (`/health/ready` names the embedded mode). Embedded: there is no
 *   Redis, so over HTTP, as the study app reaches that mode. Server mode, or no API answering
 *   (workers without an API, or nothing started yet): the queues on Redis.
 *
 * `--url` or `--key` alone mean HTTP; `--via` decides outright.
 */
export type SimulationTarget =
  | { via: 'publisher'; mode: 'server'; why: string }
  | { via: 'http'; mode: RuntimeMode | null; url: string; why: string };

export interface TargetInputs {
  via: 'publisher' | 'http' | null;
  url: string | null;
  key: string | null;
  /** The API's address on this machine: http://127.0.0.1:$PORT. */
  defaultUrl: string;
  /** What configures servers in the environment (`DATABASE_URL`, `NODE_ENV=production`, …); empty: nothing (`embeddedAllowed`). */
  serversConfigured: string[];
}

/** The mode of the API at `url` as its readiness route reports it, or null when nothing answers like this API. */
export type ApiModeProbe = (url: string) => Promise<RuntimeMode | null>;

export async function chooseTarget(inputs: TargetInputs, apiMode: ApiModeProbe): Promise<SimulationTarget> {
  if (inputs.via === 'publisher') return { via: 'publisher', mode: 'server', why: '--via publisher' };
  if (inputs.via === 'http' || inputs.url !== null || inputs.key !== null) {
    const url = inputs.url ?? inputs.defaultUrl;
    return { via: 'http', mode: null, url, why: inputs.via === 'http' ? '--via http' : inputs.url !== null ? '--url' : '--key' };
  }
  if (inputs.serversConfigured.length > 0) return { via: 'publisher', mode: 'server', why: `${inputs.serversConfigured.join(', ')} set` };
  const mode = await apiMode(inputs.defaultUrl);
  if (mode === 'embedded') return { via: 'http', mode, url: inputs.defaultUrl, why: `the API at ${inputs.defaultUrl} runs embedded (no Redis)` };
  if (mode === 'server') return { via: 'publisher', mode: 'server', why: `the API at ${inputs.defaultUrl} runs in server mode` };
  return { via: 'publisher', mode: 'server', why: `no API answers at ${inputs.defaultUrl}` };
}

/** Asks `GET <url>/health/ready` (no key needed): its body carries `"mode":"embedded"` in that mode only. */
export function readinessModeProbe(options: { timeoutMs?: number; fetch?: typeof fetch } = {}): ApiModeProbe {
  const doFetch = options.fetch ?? fetch;
  return async (url) => {
    try {
      const response = await doFetch(`${url}/health/ready`, { signal: AbortSignal.timeout(options.timeoutMs ?? 1_500) });
      const body = (await response.json()) as { checks?: unknown; mode?: unknown };
      // 503 too: a dependency down still says which mode runs.
      if (typeof body !== 'object' || body === null || typeof body.checks !== 'object') return null;
      return body.mode === 'embedded' ? 'embedded' : 'server';
    } catch {
      return null;
    }
  };
}

/** What configures servers, as `pnpm start` reads it (embeddedAllowed): the variables set, or production. */
export function serversConfiguredBy(env: NodeJS.ProcessEnv): string[] {
  const set = ['DATABASE_URL', 'REDIS_URL', 'REDIS_CLUSTER_NODES'].filter((name) => (env[name] ?? '') !== '');
  return (env.NODE_ENV ?? 'development') === 'production' ? [...set, 'NODE_ENV=production'] : set;
}

/** What the first line says: where the messages go, and why there. */
export function describeTarget(target: SimulationTarget, detail: { queuePrefix: string; redis: string; keySource: string | null }): string {
  if (target.via === 'publisher') {
    return `simulate: server mode (${target.why}): publishing into the BullMQ queues on Redis ${detail.redis}, prefix ${detail.queuePrefix}`;
  }
  const mode = target.mode === 'embedded' ? 'embedded mode' : 'over HTTP';
  const key = detail.keySource ? `, ${detail.keySource}` : ', no key';
  return `simulate: ${mode} (${target.why}): POST ${target.url}/api/events and /api/sessions${key}`;
}
