/** Progress lines while the bench runs: which scenario, what it is doing, how long so far. */
const startedAt = Date.now();

export type Progress = (message: string) => void;

export function progressFor(scenario: string): Progress {
  return (message) => {
    const elapsed = ((Date.now() - startedAt) / 1000).toFixed(0).padStart(4);
    process.stdout.write(`[${elapsed}s] ${scenario.padEnd(12)} ${message}\n`);
  };
}
