/** Number and time formatting for the tools' output (fixed locale, so output is stable). */
const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

export function count(value: number): string {
  return grouped.format(value);
}

export function decimal(value: number): string {
  return oneDecimal.format(value);
}

export function seconds(ms: number): string {
  return `${oneDecimal.format(ms / 1000)} s`;
}

export function perSecond(amount: number, elapsedMs: number): number {
  return elapsedMs <= 0 ? 0 : (amount * 1000) / elapsedMs;
}

/** `1 user`, `3 users`, `1,024 users`. */
export function plural(amount: number, noun: string): string {
  return `${count(amount)} ${noun}${amount === 1 ? '' : 's'}`;
}
