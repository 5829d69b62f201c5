import type { Logger } from '../logger/logger';

/**
 * Graceful shutdown in a fixed order: stop taking work (HTTP, cron), finish work in flight
 * (workers, batches), then the connections (Redis, PostgreSQL), then the servers this
 * process itself runs (the embedded PostgreSQL). Each step runs even if an earlier one
 * failed; a second signal while closing is ignored; a hard deadline ends it.
 */
export interface ShutdownStep {
  name: string;
  run: () => Promise<unknown> | unknown;
}

export class ShutdownCoordinator {
  private readonly phases: ShutdownStep[][] = [[], [], [], []];
  private closing: Promise<void> | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly deadlineMs = 25_000,
  ) {}

  /** Phase 0: stop intake (HTTP, cron). 1: finish work (workers, flush). 2: connections. 3: servers run by this process. */
  add(phase: 0 | 1 | 2 | 3, step: ShutdownStep): void {
    this.phases[phase]!.push(step);
  }

  close(reason = 'shutdown'): Promise<void> {
    this.closing ??= this.runAll(reason);
    return this.closing;
  }

  /** SIGTERM/SIGINT → close → exit 0 (1 if the deadline passed). */
  installSignalHandlers(exit: (code: number) => void = (code) => process.exit(code)): void {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.closing) return;
      this.logger.info({ signal }, 'shutting down');
      const deadline = setTimeout(() => {
        this.logger.error({ deadlineMs: this.deadlineMs }, 'shutdown deadline passed, exiting');
        exit(1);
      }, this.deadlineMs);
      deadline.unref();
      void this.close(signal).then(() => {
        clearTimeout(deadline);
        exit(0);
      });
    };
    // `on`, not `once`: with no listener left, a second signal would kill the process
    // mid-shutdown (Node's default action) instead of being ignored.
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }

  private async runAll(reason: string): Promise<void> {
    for (const steps of this.phases) {
      const results = await Promise.allSettled(steps.map(async (step) => step.run()));
      results.forEach((result, index) => {
        if (result.status === 'rejected') {
          this.logger.warn({ step: steps[index]!.name, reason, err: result.reason }, 'shutdown step failed');
        }
      });
    }
  }
}
