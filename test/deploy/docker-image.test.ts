import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ignore from '@balena/dockerignore';
import { parse } from 'yaml';

/**
 * What `docker build` would send and what the image runs as, without a Docker engine: the
 * build context is computed from .dockerignore with @balena/dockerignore, a port of Docker's
 * own matcher (moby's fileutils: `*` stays within a folder, a name matches at the top only,
 * `**` crosses folders, `!` re-includes), over this checkout's files plus the files an
 * operator's folder has and a clean checkout does not (.env, .embedded/, node_modules in each
 * package). None of the secrets or host installs may be in it; everything the image builds
 * and runs must be.
 */
const root = join(__dirname, '..', '..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true });
const dockerfilePath = join(root, compose.services.api.build.dockerfile as string);
const dockerfile = readFileSync(dockerfilePath, 'utf8');
const patterns = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');
const rules = ignore().add(patterns);
const reincludes = patterns.some((p) => p.trim().startsWith('!'));

/** Every file of the folder Docker would walk, as context-relative paths (`/` separated). */
function filesUnder(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const rel = relative(root, path).split('\\').join('/');
    if (entry.isDirectory()) {
      // Docker skips an excluded folder whole unless an exception (`!`) could re-include part of it.
      if (rules.ignores(rel) && !reincludes) continue;
      filesUnder(path, out);
    } else out.push(rel);
  }
  return out;
}

/** What an operator's folder holds beside the repository's files (the compose file asks for a .env; pnpm start makes .embedded/). */
const OPERATOR_FILES = [
  '.env',
  '.env.production',
  'services/api/.env',
  '.embedded/credentials.json',
  '.embedded/postgres/PG_VERSION',
  '.embedded/postgres/global/pg_control',
  '.embedded/postgres.log',
  '.embedded/owner.pid',
  '.embedded/.study-analytics-embedded',
  '.git/config',
  '.git/objects/pack/pack-1.pack',
  'node_modules/.pnpm/lock.yaml',
  'node_modules/express/package.json',
  'shared/node_modules/pino/package.json',
  'services/api/node_modules/.bin/tsx',
  'workers/node_modules/bullmq/package.json',
  'coverage/lcov.info',
  'npm-debug.log',
  'shared/debug.log',
  'tls/server.key',
  'tls/server.pem',
];

const walked = filesUnder(root);
const context = new Set(rules.filter([...new Set([...walked, ...OPERATOR_FILES])]));

describe('the build context (.dockerignore, Docker\'s rules)', () => {
  it('holds no secret, no embedded data, no .git and no host node_modules', () => {
    const forbidden = [...context].filter((path) => /(^|\/)\.env(\.|$)|^\.embedded\/|^\.git(\/|$)|(^|\/)node_modules\/|\.(pem|key|log)$|^coverage\//.test(path));
    expect(forbidden).toEqual([]);
    for (const path of OPERATOR_FILES) expect({ path, inContext: context.has(path) }).toEqual({ path, inContext: false });
  });

  it('leaves out what this checkout has of them too (its .git, its node_modules), found by walking it', () => {
    // A worktree's .git is a file, a clone's a folder: either way it is there and must not be sent.
    expect(existsSync(join(root, '.git')) && existsSync(join(root, 'node_modules'))).toBe(true);
    expect(rules.ignores('.git')).toBe(true);
    expect(rules.ignores('node_modules')).toBe(true);
    expect(walked.some((path) => path.startsWith('node_modules/') || path.startsWith('.git/'))).toBe(false);
  });

  it('holds everything the Dockerfile copies by name, and the code the API and the worker run', () => {
    const copied = [...dockerfile.matchAll(/^COPY\s+(?!--from)(.+)\s+\S+\s*$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/)).filter((source) => source !== '.');
    expect(copied).toEqual(expect.arrayContaining(['pnpm-lock.yaml', 'package.json', '.npmrc', 'shared/package.json', 'services/api/package.json', 'workers/package.json', 'prisma']));
    for (const source of copied) {
      expect({ source, exists: existsSync(join(root, source)) }).toEqual({ source, exists: true });
      expect({ source, inContext: [...context].some((path) => path === source || path.startsWith(`${source}/`)) }).toEqual({ source, inContext: true });
    }
    // tsx resolves @shared/* through tsconfig.json's paths; the entry points and every shipped module.
    const shipped = walked.filter((path) => /^(shared|services\/api|workers)\/src\/.*\.ts$/.test(path) && !path.endsWith('.test.ts'));
    for (const path of ['tsconfig.json', 'services/api/src/main.ts', 'workers/src/main.ts', 'prisma/schema.prisma', ...shipped]) expect({ path, inContext: context.has(path) }).toEqual({ path, inContext: true });
    expect(shipped.length).toBeGreaterThan(50);
    expect([...context].some((path) => path.startsWith('prisma/migrations/') && path.endsWith('migration.sql'))).toBe(true);
  });

  it('computes Docker\'s semantics, not git\'s (what the checks above rely on)', () => {
    const rules = ignore().add(['*.md', 'node_modules', '**/dist', 'keep/*', '!keep/this']);
    expect(rules.ignores('README.md')).toBe(true);
    expect(rules.ignores('docs/api.md')).toBe(false); // `*` does not cross a folder in Docker (it would in git)
    expect(rules.ignores('shared/node_modules/x')).toBe(false); // a bare name matches at the top only (anywhere in git)
    expect(rules.ignores('a/b/dist/x.js')).toBe(true);
    expect(rules.filter(['keep/this', 'keep/that'])).toEqual(['keep/this']);
  });
});

describe('the Dockerfile', () => {
  const instructions = dockerfile
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));

  it('runs the app as an unprivileged user: a USER other than root before CMD, none after', () => {
    const users = instructions.map((line, index) => ({ line, index })).filter(({ line }) => /^USER\s/i.test(line));
    const cmd = instructions.findIndex((line) => /^CMD\s/i.test(line));
    expect(users.length).toBeGreaterThan(0);
    const last = users.at(-1)!;
    expect(last.index).toBeLessThan(cmd);
    const user = last.line.split(/\s+/)[1]!.split(':')[0]!;
    expect(['root', '0']).not.toContain(user);
    // The base image's own unprivileged user: it exists there (node:*-slim has `node`, uid 1000).
    expect(instructions[0]).toMatch(/^FROM node:\d+-bookworm-slim$/);
    expect(user).toBe('node');
    // Everything that needs root (installing) happens before it.
    expect(instructions.slice(last.index + 1).filter((line) => /^RUN\s/i.test(line))).toEqual([]);
  });

  it('installs the pnpm package.json names, so nothing is downloaded at start as that user', () => {
    const packageManager = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { packageManager: string }).packageManager;
    expect(dockerfile).toContain(`npm install -g ${packageManager}`);
  });

  it('exposes the ports the compose file uses: the API\'s and the worker\'s metrics', () => {
    const exposed = instructions.find((line) => /^EXPOSE\s/i.test(line))!.split(/\s+/).slice(1);
    expect(exposed).toEqual(expect.arrayContaining(['3000', String(compose.services.worker.environment.METRICS_PORT)]));
  });
});
