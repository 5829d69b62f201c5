/**
 * Stops calling a dependency that keeps failing: after `threshold` consecutive failures it
 * opens for `cooldownMs`, then lets one probe through (half-open); a success closes it.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | null = null;
  private probing = false;

  constructor(
    private readonly threshold = 3,
    private readonly cooldownMs = 1_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a call may go through now. In half-open state only one probe is allowed. */
  allow(): boolean {
    if (this.openedAt === null) return true;
    if (this.now() - this.openedAt < this.cooldownMs || this.probing) return false;
    this.probing = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.openedAt = null;
    this.probing = false;
  }

  failure(): void {
    this.failures += 1;
    this.probing = false;
    if (this.failures >= this.threshold) this.openedAt = this.now();
  }

  isOpen(): boolean {
    return this.openedAt !== null;
  }
}
