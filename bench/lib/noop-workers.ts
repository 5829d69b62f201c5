import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { forkTsx, stopChild } from './child-process';
import type { NoopWorkerMessage } from './noop-worker-main';

/**
 * The no-op BullMQ workers of the ingest ceiling, in as many child processes as the
 * pipeline's workers (bench/lib/noop-worker-main.ts each), so that the ceiling has the same
 * processes, threads and concurrency as the ingest it is compared with.
 */
export interface NoopWorkers {
  /** Resolves once the children together have completed `total` jobs (rejects after `timeoutMs`, or if one exits). */
  completed(total: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const ENTRY = resolve(__dirname, 'noop-worker-main.ts');
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

/** Resolves on the child's `ready` message; rejects if it exits first or takes longer than `timeoutMs`. */
function readiness(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`a no-op worker process was not ready within ${timeoutMs} ms`)), timeoutMs);
    child.on('message', (message: NoopWorkerMessage) => {
      if (message.type !== 'ready') return;
      clearTimeout(timer);
      done();
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`a no-op worker process exited before it was ready (code ${code}, signal ${signal})`));
    });
  });
}

/** `env`: the bench's environment with the no-op queue prefix (QUEUE_PREFIX). */
export async function startNoopWorkers(options: { count: number; env: NodeJS.ProcessEnv }): Promise<NoopWorkers> {
  const children = Array.from({ length: options.count }, () => forkTsx(ENTRY, options.env));
  const counts = children.map(() => 0);
  let onProgress: () => void = () => undefined;
  let onExit: (error: Error) => void = () => undefined;
  children.forEach((child, index) => {
    child.on('message', (message: NoopWorkerMessage) => {
      if (message.type !== 'completed') return;
      counts[index] = message.count;
      onProgress();
    });
    child.once('exit', (code, signal) => onExit(new Error(`a no-op worker process exited (code ${code}, signal ${signal})`)));
  });
  const close = () => Promise.all(children.map((child) => stopChild(child, STOP_TIMEOUT_MS))).then(() => undefined);
  try {
    await Promise.all(children.map((child) => readiness(child, READY_TIMEOUT_MS)));
  } catch (error) {
    await close();
    throw error;
  }

  return {
    completed(total, timeoutMs = 600_000) {
      return new Promise<void>((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`the no-op workers completed ${sum(counts)} of ${total} jobs in ${timeoutMs} ms`)), timeoutMs);
        const finish = (error?: Error) => {
          clearTimeout(timer);
          onProgress = () => undefined;
          onExit = () => undefined;
          if (error) fail(error);
          else done();
        };
        onProgress = () => {
          if (sum(counts) >= total) finish();
        };
        onExit = finish;
        onProgress();
      });
    },
    close,
  };
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
