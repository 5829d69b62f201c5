import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '@shared/config/config';

// No Docker engine runs here: check what can be checked of the compose file — that it
// parses, that the app containers' environment passes our own config validation, and
// that Redis is configured the way BullMQ needs for durability.
const root = join(__dirname, '..', '..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true });
const scripts: Record<string, string> = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts;

/** What an operator would put in .env: keys of each role. */
const OPERATOR_ENV = { API_KEYS: 'ingest:ingest-key-from-env-0001,read:read-key-from-env-00001,admin:admin-key-from-env-0001' };

/**
 * Interpolates `${NAME}`, `${NAME:-default}` / `${NAME-default}` and `${NAME:?message}` /
 * `${NAME?message}` the way compose does, from `env`: a required variable that is missing
 * (or empty, with the colon) stops compose with its message, and so throws here.
 */
function interpolate(value: string, env: Record<string, string | undefined>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}/g, (_match, name: string, colon: string, operator: string, argument: string) => {
    const set = env[name];
    const missing = set === undefined || (colon === ':' && set === '');
    if (!operator) return set ?? '';
    if (!missing) return set!;
    if (operator === '-') return argument;
    throw new Error(`required variable ${name} is missing a value: ${argument}`);
  });
}
function envOf(service: string, env: Record<string, string | undefined> = OPERATOR_ENV): Record<string, string> {
  const declared = compose.services[service].environment as Record<string, string>;
  return Object.fromEntries(Object.entries(declared).map(([k, v]) => [k, interpolate(String(v), env)]));
}

describe('docker-compose.yml', () => {
  it('declares redis, postgres, api and worker, and Prometheus and Grafana only under the ops profile', () => {
    const inProfile = (name: string) => (compose.services[name].profiles ?? []) as string[];
    expect(Object.keys(compose.services).filter((name) => inProfile(name).length === 0).sort()).toEqual(['api', 'postgres', 'redis', 'worker']);
    expect(Object.keys(compose.services).filter((name) => inProfile(name).includes('ops')).sort()).toEqual(['grafana', 'prometheus']);
    expect(Object.keys(compose.services)).toHaveLength(6);
  });

  it('runs Redis with noeviction and AOF persistence', () => {
    const command: string[] = compose.services.redis.command;
    expect(command.join(' ')).toMatch(/--maxmemory-policy noeviction/);
    expect(command.join(' ')).toMatch(/--appendonly yes/);
  });

  it.each(['api', 'worker'])('gives the %s an environment our config accepts, pointing at the compose services', (service) => {
    const config = loadConfig(envOf(service));
    expect(config.env).toBe('production');
    expect(config.apiKeys.length).toBeGreaterThan(0);
    expect(config.redis).toMatchObject({ mode: 'standalone', url: 'redis://redis:6379' });
    const db = new URL(config.database.url);
    const pg = compose.services.postgres.environment;
    expect(db.hostname).toBe('postgres');
    expect(decodeURIComponent(db.username)).toBe(pg.POSTGRES_USER);
    expect(decodeURIComponent(db.password)).toBe(pg.POSTGRES_PASSWORD);
    expect(db.pathname).toBe(`/${pg.POSTGRES_DB}`);
  });

  it.each(['api', 'worker'])('makes the %s refuse to start without API_KEYS: required by compose, no default key in the file', (service) => {
    for (const env of [{}, { API_KEYS: '' }]) expect(() => envOf(service, env)).toThrow(/required variable API_KEYS is missing a value: set API_KEYS=/);
    // Whatever the file says must not be usable as a key: the only source of keys is the operator's environment.
    expect(envOf(service).API_KEYS).toBe(OPERATOR_ENV.API_KEYS);
    expect(readFileSync(join(root, 'docker-compose.yml'), 'utf8')).not.toMatch(/change-me|(ingest|read|admin):[A-Za-z0-9_-]{16,}/);
  });

  it('expands compose variables as compose does (the helper these checks rely on)', () => {
    expect(interpolate('${A:-x}/${B-y}/${C}', { A: '', B: '' })).toBe('x//');
    expect(interpolate('${A:?need A}', { A: 'a' })).toBe('a');
    expect(() => interpolate('${A?need A}', {})).toThrow(/need A/);
    expect(interpolate('${A?need A}', { A: '' })).toBe('');
  });

  it('runs package.json scripts that exist and publishes the configured port', () => {
    expect(scripts[compose.services.api.command[1]]).toBeDefined();
    expect(scripts[compose.services.worker.command[1]]).toBeDefined();
    const port = loadConfig(envOf('api')).port;
    expect(compose.services.api.ports).toContain(`${port}:${port}`);
  });

  it('builds from a Dockerfile that exists and installs with the lockfile', () => {
    const dockerfile = join(root, compose.services.api.build.dockerfile);
    expect(existsSync(dockerfile)).toBe(true);
    expect(readFileSync(dockerfile, 'utf8')).toMatch(/pnpm install --frozen-lockfile/);
  });

  describe('the ops profile', () => {
    /** host path → container path of a service's bind mounts (named volumes left out). */
    const bindMounts = (service: string) =>
      new Map(
        (compose.services[service].volumes as string[])
          .filter((v) => v.startsWith('./'))
          .map((v) => {
            const [host, container] = v.split(':');
            return [container!, join(root, host!)] as const;
          }),
      );
    /** Where a file the container reads at `containerPath` comes from on this side. */
    const hostPathOf = (service: string, containerPath: string) => {
      for (const [container, host] of bindMounts(service)) if (containerPath === container || containerPath.startsWith(`${container}/`)) return join(host, containerPath.slice(container.length));
      throw new Error(`${containerPath} is not mounted into ${service}`);
    };

    it('mounts only folders of the repository that exist', () => {
      for (const service of ['prometheus', 'grafana']) {
        expect(bindMounts(service).size).toBeGreaterThan(0);
        for (const host of bindMounts(service).values()) expect(existsSync(host)).toBe(true);
      }
    });

    it('runs Prometheus on docs/ops/prometheus/prometheus.yml, which loads the rules and scrapes the api and every worker on their ports', () => {
      const configFlag = (compose.services.prometheus.command as string[]).find((a) => a.startsWith('--config.file='))!;
      const configPath = hostPathOf('prometheus', configFlag.slice('--config.file='.length));
      expect(configPath).toBe(join(root, 'docs/ops/prometheus/prometheus.yml'));
      const config = parse(readFileSync(configPath, 'utf8'));
      for (const rules of config.rule_files as string[]) expect(existsSync(join(dirname(configPath), rules))).toBe(true);
      type Job = { job_name: string; static_configs: { targets: string[] }[]; dns_sd_configs: { names: string[]; type: string; port: number }[] };
      const job = (config.scrape_configs as Job[]).find((j) => j.job_name === 'study-analytics')!;
      expect(job.static_configs[0]!.targets).toEqual([`api:${loadConfig(envOf('api')).port}`]);
      // Each worker container serves its own /metrics on the port the compose file gives it.
      const workerPort = loadConfig(envOf('worker')).metricsPort;
      expect(workerPort).not.toBeNull();
      expect(job.dns_sd_configs).toEqual([{ names: ['worker'], type: 'A', port: workerPort, refresh_interval: '30s' }]);
      expect(compose.services.worker.expose).toContain(String(workerPort));
      expect(compose.services.worker.ports).toBeUndefined(); // scraped on the compose network, not published
      expect(Object.keys(compose.services.prometheus.depends_on).sort()).toEqual(['api', 'worker']);
    });

    it("checks the worker's health on its metrics port", () => {
      const port = loadConfig(envOf('worker')).metricsPort;
      expect((compose.services.worker.healthcheck.test as string[]).join(' ')).toContain(`http://127.0.0.1:${port}/metrics`);
      // The API's own METRICS_PORT is unset: its /metrics is on PORT.
      expect(loadConfig(envOf('api')).metricsPort).toBeNull();
    });

    it('provisions Grafana from docs/ops/grafana: the data source is the prometheus service, the dashboards folder is mounted where the provider reads', () => {
      const datasources = parse(readFileSync(hostPathOf('grafana', '/etc/grafana/provisioning/datasources/prometheus.yml'), 'utf8'));
      expect(datasources.datasources[0].url).toBe('http://prometheus:9090');
      expect(compose.services.prometheus.ports).toEqual(['127.0.0.1:9090:9090']);
      const providers = parse(readFileSync(hostPathOf('grafana', '/etc/grafana/provisioning/dashboards/study-analytics.yml'), 'utf8'));
      const dashboards = hostPathOf('grafana', providers.providers[0].options.path);
      expect(existsSync(join(dashboards, 'study-analytics.json'))).toBe(true);
      expect(existsSync(hostPathOf('grafana', envOf('grafana').GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH!))).toBe(true);
    });

    it('needs no variable beyond API_KEYS: Grafana\'s password is GRAFANA_ADMIN_PASSWORD, else Grafana\'s own default (admin, changed at first login)', () => {
      expect(envOf('grafana', {}).GF_SECURITY_ADMIN_PASSWORD).toBe('admin');
      expect(envOf('grafana', { GRAFANA_ADMIN_PASSWORD: 'from-env' }).GF_SECURITY_ADMIN_PASSWORD).toBe('from-env');
    });
  });
});
