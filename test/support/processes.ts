import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * Real child processes for the fault and scale-out tests: the API and the workers started
 * exactly as `pnpm start:api` / `pnpm start:worker` start them (their own `main.ts` under
 * tsx), with the environment the test gives. Each process is `node --import tsx <entry>`,
 * so its pid is the process itself: a SIGKILL kills the worker, not a wrapper.
 *
 * Every process started here is remembered; `stopAllProcesses()` (call it in afterAll) and,
 * as a last resort, the exit of the test process kill whatever is left.
 */

const ROOT = resolve(__dirname, '..', '..');
export const ENTRIES = {
  api: 'services/api/src/main.ts',
  worker: 'workers/src/main.ts',
  allInOne: 'scripts/start.ts',
} as const;

/** Variables the parent may carry (CI, a developer's shell) that must not leak into a child. */
const INHERITED_CONFIG = [
  'PORT',
  'DATABASE_URL',
  'DATABASE_CONNECTION_LIMIT',
  'REDIS_URL',
  'REDIS_HOST',
  'REDIS_PORT',
  'REDIS_PASSWORD',
  'REDIS_DB',
  'REDIS_CLUSTER_NODES',
  'QUEUE_PREFIX',
  'CACHE_PREFIX',
  'API_KEYS',
  'LOG_LEVEL',
  'NODE_OPTIONS',
];

const OUTPUT_LINES_KEPT = 400;

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** Resolves when the process has exited, however. */
  readonly exited: Promise<ExitStatus>;
  isAlive(): boolean;
  /** Everything it wrote (stdout and stderr, the last lines), for assertions and failure messages. */
  output(): string;
  /** Resolves with the first line (already written or still to come) that matches; rejects if it exits first or the deadline passes. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends a signal and returns at once (SIGKILL: a crash). */
  signal(signal: NodeJS.Signals): void;
  /** Sends `signal` and waits for the exit; SIGKILL after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitStatus>;
  /** A failure message naming the process, with its last lines. */
  describe(lines?: number): string;
}

export interface ApiProcess extends ManagedProcess {
  port: number;
  url: string;
}

const running = new Set<ManagedProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // If the test process dies without afterAll, no child must outlive it.
  process.once('exit', () => {
    for (const child of running) child.signal('SIGKILL');
  });
}

function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const key of INHERITED_CONFIG) delete base[key];
  for (const key of Object.keys(base)) if (key.startsWith('JEST_')) delete base[key];
  return { ...base, NODE_ENV: 'test', LOG_LEVEL: 'info', ...env };
}

/** Starts `node --import tsx <entry>` and resolves once a line matches `readyLine`. */
export async function spawnTsx(options: { name: string; entry: string; env: Record<string, string>; readyLine: RegExp; timeoutMs?: number }): Promise<ManagedProcess> {
  installExitHook();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', options.entry], {
    cwd: ROOT,
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  const collect = (stream: NodeJS.ReadableStream | null) => {
    let partial = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (lines.length > OUTPUT_LINES_KEPT) lines.shift();
        for (const listener of listeners) listener(line);
      }
    });
  };
  collect(child.stdout);
  collect(child.stderr);
  let status: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>((resolveExit) => {
    child.once('exit', (code, signal) => {
      status = { code, signal };
      resolveExit(status);
    });
  });

  const handle: ManagedProcess = {
    name: options.name,
    pid: child.pid ?? -1,
    exited,
    isAlive: () => status === undefined,
    output: () => lines.join('\n'),
    describe(count = 40) {
      const state = status ? `exited (code ${status.code}, signal ${status.signal})` : 'running';
      return `${options.name} (pid ${child.pid}, ${state}), last lines:\n${lines.slice(-count).join('\n')}`;
    },
    waitForLine(pattern, timeoutMs = 20_000) {
      const seen = lines.find((line) => pattern.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<string>((resolveLine, reject) => {
        const done = () => {
          clearTimeout(timer);
          listeners.delete(onLine);
        };
        const onLine = (line: string) => {
          if (!pattern.test(line)) return;
          done();
          resolveLine(line);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms from ${handle.describe()}`));
        }, timeoutMs);
        listeners.add(onLine);
        void exited.then(() => {
          if (!listeners.has(onLine)) return;
          done();
          reject(new Error(`exited before a line matching ${pattern}: ${handle.describe()}`));
        });
      });
    },
    signal(signal) {
      if (status === undefined) child.kill(signal);
    },
    async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
      if (status) return status;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
  running.add(handle);
  void exited.then(() => running.delete(handle));
  try {
    await handle.waitForLine(options.readyLine, options.timeoutMs ?? 30_000);
  } catch (error) {
    await handle.stop('SIGKILL');
    throw error;
  }
  return handle;
}

/** `services/api/src/main.ts` on a free port; resolves once it logs "API listening". */
export async function startApiProcess(name: string, env: Record<string, string>): Promise<ApiProcess> {
  const handle = await spawnTsx({ name, entry: ENTRIES.api, env: { PORT: '0', ...env }, readyLine: /"msg":"API listening"/ });
  const line = await handle.waitForLine(/"msg":"API listening"/);
  const port = (JSON.parse(line) as { port: number }).port;
  return Object.assign(handle, { port, url: `http://127.0.0.1:${port}` });
}

/** `workers/src/main.ts`; resolves once it logs "workers started". */
export function startWorkerProcess(name: string, env: Record<string, string>): Promise<ManagedProcess> {
  return spawnTsx({ name, entry: ENTRIES.worker, env, readyLine: /"msg":"workers started"/ });
}

/** `scripts/start.ts` (API + workers + scheduler in one process); resolves once both are up. */
export async function startAllInOneProcess(name: string, env: Record<string, string>): Promise<ApiProcess> {
  const handle = await spawnTsx({ name, entry: ENTRIES.allInOne, env: { PORT: '0', ...env }, readyLine: /"msg":"workers started"/ });
  const line = await handle.waitForLine(/"msg":"API listening"/);
  const port = (JSON.parse(line) as { port: number }).port;
  return Object.assign(handle, { port, url: `http://127.0.0.1:${port}` });
}

/** Lines that mean a process lost control of an error: an unhandled rejection or exception. */
export function crashLines(process: ManagedProcess): string[] {
  return process
    .output()
    .split('\n')
    .filter((line) => /unhandled ?rejection|uncaught ?exception|UnhandledPromiseRejection/i.test(line));
}

/** SIGKILLs every process still running (afterAll of every test file that starts one). */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...running].map((handle) => handle.stop('SIGKILL', 5_000)));
}
