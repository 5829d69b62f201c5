import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { TestSystem } from './system';

const ROOT = join(__dirname, '..', '..');

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment that points a tool at a test system's database, Redis and prefixes. */
export function toolEnv(system: TestSystem, extra: Record<string, string> = {}): Record<string, string> {
  const redis = system.config.redis;
  return {
    DATABASE_URL: system.database.url,
    ...(redis.mode === 'standalone' ? { REDIS_URL: redis.url } : {}),
    QUEUE_PREFIX: system.config.queuePrefix,
    CACHE_PREFIX: system.config.cachePrefix,
    // PostgreSQL is shared with other test runs: a tool takes few connections.
    DATABASE_CONNECTION_LIMIT: '4',
    ...extra,
  };
}

export interface RunningTool {
  /** The output so far. */
  output(): { stdout: string; stderr: string };
  done: Promise<ToolResult>;
}

/**
 * Starts a tool as a user would (`tsx scripts/<name>.ts ...`) in a child process; `done`
 * resolves with its exit code and output. Killed if it outlives `timeoutMs`.
 */
export function startTool(script: string, args: string[], env: Record<string, string>, timeoutMs = 60_000): RunningTool {
  let stdout = '';
  let stderr = '';
  const done = new Promise<ToolResult>((resolve, reject) => {
    const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'scripts', script), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'test', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return { output: () => ({ stdout, stderr }), done };
}

export function runTool(script: string, args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<ToolResult> {
  return startTool(script, args, env, timeoutMs).done;
}
