export interface BackgroundCollector {
  /** Resolves once the first collection has finished (whether or not it succeeded). */
  readonly firstCollection: Promise<void>;
  /** No collection starts after this; resolves once a running one has finished. */
  stop(): Promise<void>;
}

export interface CollectorOptions {
  intervalMs: number;
  /** Checked before each run: once true, the collector stops by itself (e.g. its connection was closed for good). */
  finished?: () => boolean;
}

/**
 * Runs `collect` now, then again `intervalMs` after each run has finished: never two at
 * once, never more often than the interval, whatever reads the figures and how often. The
 * timer does not keep the process alive. A failed collection leaves the last figures in
 * place; `collect` reports its own failures (e.g. a gauge set to -1).
 */
export function startBackgroundCollector(collect: () => Promise<void>, { intervalMs, finished = () => false }: CollectorOptions): BackgroundCollector {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const run = (): Promise<void> => {
    if (finished()) stopped = true;
    if (stopped) return running;
    running = collect()
      .catch(() => undefined)
      .finally(() => {
        if (!stopped) timer = setTimeout(run, intervalMs).unref();
      });
    return running;
  };

  return {
    firstCollection: run(),
    stop() {
      stopped = true;
      clearTimeout(timer);
      return running;
    },
  };
}
