/**
 * Undo steps registered as resources are made (private Redis, bench database, servers),
 * run in reverse order exactly once: at the end, on failure, or on Ctrl-C / SIGTERM.
 * Every step runs even if an earlier one failed.
 */
export class Cleanup {
  private readonly steps: { name: string; run: () => Promise<unknown> | unknown }[] = [];
  private running: Promise<void> | undefined;

  add(name: string, run: () => Promise<unknown> | unknown): void {
    this.steps.push({ name, run });
  }

  run(log: (message: string) => void = () => undefined): Promise<void> {
    this.running ??= (async () => {
      for (const step of [...this.steps].reverse()) {
        try {
          await step.run();
        } catch (error) {
          log(`cleanup step "${step.name}" failed: ${(error as Error).message}`);
        }
      }
    })();
    return this.running;
  }

  /** On SIGINT/SIGTERM: clean up, then exit 130 / 143. A second signal exits at once. */
  installSignalHandlers(log: (message: string) => void): void {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.running) process.exit(1);
      log(`${signal}: cleaning up (private Redis, bench database, servers)…`);
      void this.run(log).then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
}
