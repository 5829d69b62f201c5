/**
 * The search for the highest event rate the pipeline sustains: rates in steps, each run
 * for a while (drained in between), stopping at the first step that does not hold.
 */
export interface RateStep {
  eventsPerSec: number;
  achievedEventsPerSec: number;
  p99Ms: number;
  backlogAtEnd: number;
  notVisible: number;
}

export interface SustainedRate {
  /** The highest step that held; 0 when the first did not. */
  maxSustainedEventsPerSec: number;
  /** Why the search stopped: the failing step's reason, or that the last step held. */
  stoppedBy: string;
  steps: RateStep[];
}

/** A step holds while fresh data is visible within this p99. */
export const SUSTAINED_P99_MS = 1_000;
/** Below this share of the asked rate, the publisher (not the pipeline) could not keep up: the rate was not really offered. */
const MIN_ACHIEVED_SHARE = 0.95;

/** 500, then 1,000 · 2^k and 1,500 · 2^k (1,000, 1,500, 2,000, 3,000, 4,000, 6,000, 8,000, …), up to `max`. */
export function stepRates(max: number): number[] {
  const rates = [500];
  for (let base = 1_000; base <= max; base *= 2) rates.push(base, base * 1.5);
  return rates.filter((rate) => rate <= max);
}

/** Why a step did not hold, or null if it did. */
export function stepFailure(step: RateStep): string | null {
  if (step.notVisible > 0) return `${step.notVisible} probe(s) not visible at ${step.eventsPerSec}/s`;
  if (!(step.p99Ms <= SUSTAINED_P99_MS)) return `p99 ${Math.round(step.p99Ms)} ms > ${SUSTAINED_P99_MS} ms at ${step.eventsPerSec}/s`;
  if (step.achievedEventsPerSec < step.eventsPerSec * MIN_ACHIEVED_SHARE) return `the publisher reached only ${step.achievedEventsPerSec} of ${step.eventsPerSec}/s`;
  return null;
}

/** Runs the steps in order until one fails; the figure is the last rate that held. */
export async function findMaxSustained(rates: readonly number[], runStep: (eventsPerSec: number) => Promise<RateStep>): Promise<SustainedRate> {
  const steps: RateStep[] = [];
  let held = 0;
  for (const rate of rates) {
    const step = await runStep(rate);
    steps.push(step);
    const failure = stepFailure(step);
    if (failure) return { maxSustainedEventsPerSec: held, stoppedBy: failure, steps };
    held = rate;
  }
  return { maxSustainedEventsPerSec: held, stoppedBy: `the last step (${held}/s) held`, steps };
}
