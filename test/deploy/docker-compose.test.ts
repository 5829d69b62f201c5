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
});
