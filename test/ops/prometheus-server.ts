import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { freePort } from '../../scripts/dev/redis-server';
import { PROMETHEUS_CONFIG, RULES_FILE } from './promql-expressions';

/** Debian's prometheus / promtool (`apt-get install prometheus`; .ci/run installs it). */
export function binary(name: 'prometheus' | 'promtool'): string {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error(`${name} is not installed: apt-get install prometheus (Debian ships prometheus and promtool)`);
  return found;
}

export function promtool(args: string[], cwd?: string): { status: number | null; output: string } {
  const run = spawnSync(binary('promtool'), args, { cwd, encoding: 'utf8', timeout: 30_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

export interface PrometheusServer {
  url: string;
  /** GET /api/v1/<path>; throws unless Prometheus answers status "success". */
  api<T>(path: string, params?: Record<string, string>): Promise<T>;
  stop(): Promise<void>;
}

interface ScrapeConfig {
  job_name: string;
  static_configs?: { targets: string[]; labels?: Record<string, string> }[];
  dns_sd_configs?: { names: string[]; type?: string; port?: number }[];
}

/**
 * The shipped scrape configuration with each service's address replaced: `services` maps a
 * service name of docker-compose.yml (`api`, `worker`) to where this test runs it
 * (`127.0.0.1:PORT`). A static target `api:3000` becomes the API's address; a DNS lookup of
 * `worker` (port 9464) becomes a static target at the worker's, as Docker's DNS would resolve
 * it. A service the layout does not run (`pnpm start` has no worker target: its API serves
 * the workers' metrics) is left out. Throws if the file names a service the map does not
 * know, so a target added there cannot go untested.
 */
export function scrapeConfigsFor(configs: ScrapeConfig[], services: Record<string, string | null>): ScrapeConfig[] {
  const addressOf = (service: string) => {
    if (!(service in services)) throw new Error(`prometheus.yml scrapes "${service}", which this test does not run: map it (or to null)`);
    return services[service];
  };
  return configs.map((job) => {
    const targets: string[] = [];
    for (const group of job.static_configs ?? []) {
      for (const target of group.targets) {
        const address = addressOf(target.slice(0, target.lastIndexOf(':')));
        if (address) targets.push(address);
      }
    }
    for (const lookup of job.dns_sd_configs ?? []) {
      for (const name of lookup.names) {
        const address = addressOf(name);
        if (address) targets.push(address);
      }
    }
    const { dns_sd_configs: _resolvedHere, ...rest } = job;
    return { ...rest, static_configs: [{ targets }] };
  });
}

/**
 * A real Prometheus on a free port with a temporary data directory, configured from
 * docs/ops/prometheus/prometheus.yml with only these replaced: the scrape and evaluation
 * intervals, the services' addresses (scrapeConfigsFor), and the rule file's path (docs/ops's own).
 */
export async function startPrometheus(options: { services: Record<string, string | null>; intervalSeconds: number }): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sa-prometheus-'));
  const config = parse(readFileSync(PROMETHEUS_CONFIG, 'utf8')) as {
    global: Record<string, string>;
    rule_files: string[];
    scrape_configs: ScrapeConfig[];
  };
  config.global.scrape_interval = `${options.intervalSeconds}s`;
  config.global.evaluation_interval = `${options.intervalSeconds}s`;
  config.rule_files = [RULES_FILE];
  if (!config.scrape_configs.some((j) => j.job_name === 'study-analytics')) throw new Error('prometheus.yml has no study-analytics job');
  config.scrape_configs = scrapeConfigsFor(config.scrape_configs, options.services);
  writeFileSync(join(dir, 'prometheus.yml'), stringify(config));

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    binary('prometheus'),
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = `${stderr}${chunk.toString()}`.slice(-4_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };

  // Ready once /-/ready answers 200; a Prometheus that exits (bad config, port taken) fails at once.
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited with ${child.exitCode}: ${stderr}`);
    }
    const ok = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    url,
    async api<T>(path: string, params: Record<string, string> = {}) {
      const res = await fetch(`${url}/api/v1/${path}?${new URLSearchParams(params)}`);
      const body = (await res.json()) as { status: string; data: T; error?: string };
      if (body.status !== 'success') throw new Error(`Prometheus ${path} ${JSON.stringify(params)}: ${body.error}`);
      return body.data;
    },
    stop,
  };
}
