import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';
import type { Logger } from '@shared/logger/logger';

/**
 * The worker processes of `pnpm start`: one per core by default, so the API, ingest and
 * recomputes never share one event loop. Each child is `pnpm start:worker`'s own entry
 * (workers/src/main.ts) with the parent's environment. A child that dies is started again
 * (after 1 s, doubling to 30 s while it keeps dying young); close() sends SIGTERM to all,
 * waits for their graceful shutdown and SIGKILLs what is left after `stopTimeoutMs`.
 *
 * The children answer metric requests over the IPC channel, so the API's /metrics shows
 * the whole system (their counters and histograms summed with the API's own).
 */
export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

const WORKER_ENTRY = resolve(__dirname, 'main.ts');
const RESTART_MIN_MS = 1_000;
const RESTART_MAX_MS = 30_000;
/** A child that lived this long is healthy again: its next restart starts from the minimum delay. */
const HEALTHY_AFTER_MS = 60_000;
const METRICS_TIMEOUT_MS = 1_000;

interface MetricsRequest {
  type: 'metrics-request';
  id: number;
}
interface MetricsReply {
  type: 'metrics';
  id: number;
  metrics: MetricsSnapshot;
}

export interface WorkerProcesses {
  readonly count: number;
  /** Each live child's metrics (a child that does not answer within 1 s is left out). */
  collectMetrics(): Promise<MetricsSnapshot[]>;
  close(): Promise<void>;
}

interface Slot {
  index: number;
  child: ChildProcess | null;
  startedAt: number;
  restartDelayMs: number;
  restartTimer?: NodeJS.Timeout;
}

/** `env`: the environment each child reads its configuration from (the parent's, with what the entry point decided). */
export function startWorkerProcesses(options: { count: number; logger: Logger; env: NodeJS.ProcessEnv; stopTimeoutMs?: number }): WorkerProcesses {
  const { logger } = options;
  const slots: Slot[] = Array.from({ length: options.count }, (_, index) => ({ index, child: null, startedAt: 0, restartDelayMs: RESTART_MIN_MS }));
  let closing: Promise<void> | undefined;
  let nextRequest = 0;

  // The children answer metric requests over IPC: none listens on a port of its own (they
  // would all want the same METRICS_PORT).
  const { METRICS_PORT: _ownPortOnly, ...childEnv } = options.env;
  const spawn = (slot: Slot) => {
    const child = fork(WORKER_ENTRY, [], {
      env: { ...childEnv, WORKER_PROCESS_INDEX: String(slot.index) },
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    slot.child = child;
    slot.startedAt = Date.now();
    child.on('exit', (code, signal) => {
      slot.child = null;
      if (closing) return;
      if (Date.now() - slot.startedAt > HEALTHY_AFTER_MS) slot.restartDelayMs = RESTART_MIN_MS;
      logger.warn({ worker: slot.index, pid: child.pid, code, signal, restartInMs: slot.restartDelayMs }, 'worker process exited; starting it again');
      slot.restartTimer = setTimeout(() => spawn(slot), slot.restartDelayMs);
      slot.restartDelayMs = Math.min(RESTART_MAX_MS, slot.restartDelayMs * 2);
    });
  };
  for (const slot of slots) spawn(slot);
  logger.info({ processes: options.count }, 'worker processes started');

  const metricsOf = (child: ChildProcess) =>
    new Promise<MetricsSnapshot | null>((done) => {
      const id = (nextRequest += 1);
      const timer = setTimeout(() => finish(null), METRICS_TIMEOUT_MS);
      const onMessage = (message: unknown) => {
        const reply = message as MetricsReply;
        if (reply?.type === 'metrics' && reply.id === id) finish(reply.metrics);
      };
      const finish = (metrics: MetricsSnapshot | null) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        done(metrics);
      };
      child.on('message', onMessage);
      if (!child.connected) return finish(null);
      child.send({ type: 'metrics-request', id } satisfies MetricsRequest, (error) => error && finish(null));
    });

  const stop = (child: ChildProcess, timeoutMs: number) =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('exit', () => {
        clearTimeout(timer);
        done();
      });
      child.kill('SIGTERM');
    });

  return {
    count: options.count,
    async collectMetrics() {
      const live = slots.flatMap((s) => (s.child ? [s.child] : []));
      return (await Promise.all(live.map(metricsOf))).filter((m): m is MetricsSnapshot => m !== null);
    },
    close() {
      closing ??= (async () => {
        for (const slot of slots) clearTimeout(slot.restartTimer);
        await Promise.all(slots.flatMap((s) => (s.child ? [stop(s.child, options.stopTimeoutMs ?? 20_000)] : [])));
        logger.info('worker processes stopped');
      })();
      return closing;
    },
  };
}

/** In a child started above: answers the parent's metric requests from this process's registry. */
export function answerMetricRequests(registry: Registry): void {
  if (!process.send) return;
  // The parent is gone (killed, not stopped): shut down in order rather than run orphaned.
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  process.on('message', (message: unknown) => {
    const request = message as MetricsRequest;
    if (request?.type !== 'metrics-request') return;
    void registry.getMetricsAsJSON().then((metrics) => process.send?.({ type: 'metrics', id: request.id, metrics } satisfies MetricsReply));
  });
}
