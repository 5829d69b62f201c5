import cliProgress from 'cli-progress';
import { count, decimal, perSecond } from './format';

/**
 * Progress of a long command, on stderr so stdout stays for results: a live bar
 * (cli-progress) on a terminal, and plain lines every few seconds otherwise (a log file
 * or a CI job gets readable lines instead of carriage returns).
 */
export interface Progress {
  /** One item done; `failed` counts it as a failure too. */
  tick(failed?: boolean): void;
  stop(): void;
}

export interface ProgressOptions {
  label: string;
  unit: string;
  total: number;
  /** What the count of problem items is called (default `failed`). */
  problemLabel?: string;
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Plain mode: a line at this period (default 2 s). */
  intervalMs?: number;
  now?: () => number;
}

export interface ProgressState {
  label: string;
  unit: string;
  done: number;
  failed: number;
  total: number;
  elapsedMs: number;
  problemLabel?: string;
}

/** The plain-mode line, e.g. `recompute: 120/500 users (24%), 40.0 users/s, 0 failed`. */
export function progressLine(state: ProgressState): string {
  const percent = state.total > 0 ? Math.floor((100 * state.done) / state.total) : 100;
  const rate = perSecond(state.done, state.elapsedMs);
  return `${state.label}: ${count(state.done)}/${count(state.total)} ${state.unit} (${percent}%), ${decimal(rate)} ${state.unit}/s, ${count(state.failed)} ${state.problemLabel ?? 'failed'}`;
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const started = now();
  let done = 0;
  let failed = 0;
  const problemLabel = options.problemLabel ?? 'failed';
  const state = (): ProgressState => ({ label: options.label, unit: options.unit, done, failed, total: options.total, elapsedMs: now() - started, problemLabel });

  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${options.label} [{bar}] {percentage}% | {value}/{total} ${options.unit} | {speed} ${options.unit}/s | eta {eta_formatted} | {failed} ${problemLabel}`,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(options.total, 0, { speed: '0.0', failed: 0 });
    return {
      tick(isFailure = false) {
        done += 1;
        if (isFailure) failed += 1;
        // The total may grow while paging (users added meanwhile); keep the bar honest.
        if (done > options.total) bar.setTotal(done);
        bar.update(done, { speed: decimal(perSecond(done, now() - started)), failed });
      },
      stop() {
        bar.stop();
      },
    };
  }

  const timer = setInterval(() => stream.write(`${progressLine(state())}\n`), options.intervalMs ?? 2_000);
  timer.unref();
  let stopped = false;
  return {
    tick(isFailure = false) {
      done += 1;
      if (isFailure) failed += 1;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      stream.write(`${progressLine(state())}\n`);
    },
  };
}
