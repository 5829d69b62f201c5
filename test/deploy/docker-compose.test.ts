import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '@shared/config/config';

// No Docker engine runs here: check what can be checked of the compose file — that it
// parses, that the app containers' environment passes our own config validation, and
// that Redis is configured the way BullMQ needs for durability.
const root = join(__dirname, '..', '..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true });
const scripts: Record<string, string> = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts;

/** Expands `${NAME:-default}` the way compose does when NAME is unset. */
function expand(value: string): string {
  return value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
}
function envOf(service: string): Record<string, string> {
  const env = compose.services[service].environment as Record<string, string>;
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, expand(String(v))]));
}

describe('docker-compose.yml', () => {
  it('declares redis, postgres, api and worker', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'postgres', 'redis', 'worker']);
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
});
