import type { BenchSystem } from './bench-system';
import type { Cleanup } from './cleanup';
import type { Progress } from './progress';

/** What every scenario gets: the running system, the mode, a progress line, the cleanup stack. */
export interface ScenarioContext {
  system: BenchSystem;
  quick: boolean;
  progress: Progress;
  cleanup: Cleanup;
}
