/** Time and number helpers shared by the formulas. Windows are half-open: (now − w, now]. */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export function inWindow(at: Date, now: Date, windowMs: number): boolean {
  const t = at.getTime();
  return t > now.getTime() - windowMs && t <= now.getTime();
}

/** UTC calendar day as YYYY-MM-DD. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

export function addDays(day: string, days: number): string {
  return utcDay(new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS));
}

export function mean(values: number[]): number | null {
  if (values.length === 0) return null;
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/** Median; the mean of the middle two for an even count. */
export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

export function roundHalfUp(value: number): number {
  // The epsilon keeps 10 × 0.65 (6.499999…) on the side a human expects.
  return Math.floor(value + 0.5 + 1e-9);
}

/** Code-point order (SPEC 5: ids sort in code-point order, never locale order). */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Chronological order, ties broken by id: the last element is the "latest". */
export function chronological<T>(at: (item: T) => Date, id: (item: T) => string) {
  return (a: T, b: T) => at(a).getTime() - at(b).getTime() || compareIds(id(a), id(b));
}

export function sessionMinutes(session: { startedAt: Date; endedAt: Date }): number {
  return (session.endedAt.getTime() - session.startedAt.getTime()) / MINUTE_MS;
}

/** Σcorrect / Σcards, null over nothing. */
export function accuracyOf(sessions: { cardsReviewed: number; correctCount: number }[]): number | null {
  let cards = 0;
  let correct = 0;
  for (const s of sessions) {
    cards += s.cardsReviewed;
    correct += s.correctCount;
  }
  return cards === 0 ? null : correct / cards;
}
