import type { BatchKind, Delivery, SendOutcome } from './delivery';

/**
 * Sends batches through a Delivery with at most `maxInFlight` at once, and retries what
 * failed for a passing reason (Redis away, 503, 429, network) with exponential backoff or
 * the server's Retry-After, until it is sent or the caller gives up (drain's deadline).
 * Nothing is dropped silently: every item ends counted as sent or as not sent, with why.
 */
interface Batch {
  kind: BatchKind;
  items: object[];
  attempts: number;
  lastReason?: string;
}

export interface SenderOptions {
  maxInFlight?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

type PerKind = Record<BatchKind, number>;

export interface SenderStats {
  sent: PerKind;
  notSent: PerKind;
  /** Items submitted and not yet settled (queued, in flight or waiting to be retried). */
  pending: PerKind;
  /** Failed attempts that were retried. */
  retries: number;
  /** Failed attempts by reason (retried or not). */
  failures: Record<string, number>;
  /** Items finally not sent, by their last reason. */
  notSentReasons: Record<string, number>;
}

const zero = (): PerKind => ({ events: 0, sessions: 0 });

export class BatchSender {
  private readonly ready: Batch[] = [];
  private readonly waiting = new Map<Batch, NodeJS.Timeout>();
  private inFlight = 0;
  private givingUp = false;
  private readonly counts = { sent: zero(), notSent: zero(), pending: zero() };
  private retries = 0;
  private readonly failures: Record<string, number> = {};
  private readonly notSentReasons: Record<string, number> = {};
  private readonly settleListeners = new Set<() => void>();
  private readonly options: Required<SenderOptions>;

  constructor(
    private readonly delivery: Delivery,
    options: SenderOptions = {},
  ) {
    this.options = { maxInFlight: 4, initialBackoffMs: 200, maxBackoffMs: 5_000, ...options };
  }

  submit(kind: BatchKind, items: object[]): void {
    if (items.length === 0) return;
    this.counts.pending[kind] += items.length;
    if (this.givingUp) {
      this.abandon({ kind, items, attempts: 0 }, 'submitted after the deadline');
      return;
    }
    this.ready.push({ kind, items, attempts: 0 });
    this.pump();
  }

  /** Items not yet settled. */
  get backlog(): number {
    return this.counts.pending.events + this.counts.pending.sessions;
  }

  stats(): SenderStats {
    return {
      sent: { ...this.counts.sent },
      notSent: { ...this.counts.notSent },
      pending: { ...this.counts.pending },
      retries: this.retries,
      failures: { ...this.failures },
      notSentReasons: { ...this.notSentReasons },
    };
  }

  /**
   * Resolves when everything submitted is settled, or at the deadline: then batches still
   * waiting are given up (counted as not sent with their last reason) and the sends in
   * flight are awaited, so the counts are final when this resolves.
   */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.backlog > 0 && Date.now() < deadline) await this.nextSettle(deadline - Date.now());
    this.givingUp = true;
    for (const [batch, timer] of this.waiting) {
      clearTimeout(timer);
      this.abandon(batch, `still failing at the deadline: ${batch.lastReason ?? 'unknown'}`);
    }
    this.waiting.clear();
    for (const batch of this.ready.splice(0)) {
      this.abandon(batch, batch.lastReason ? `still failing at the deadline: ${batch.lastReason}` : 'not sent before the deadline');
    }
    while (this.inFlight > 0) await this.nextSettle(Number.POSITIVE_INFINITY);
  }

  /** Resolves when the next attempt settles, or after `timeoutMs`. */
  private nextSettle(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.settleListeners.delete(done);
        resolve();
      };
      const timer = Number.isFinite(timeoutMs) ? setTimeout(done, timeoutMs) : undefined;
      this.settleListeners.add(done);
    });
  }

  private notify(): void {
    for (const listener of [...this.settleListeners]) listener();
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.ready.length > 0) void this.attempt(this.ready.shift()!);
  }

  private backoffMs(attempts: number): number {
    return Math.min(this.options.maxBackoffMs, this.options.initialBackoffMs * 2 ** (attempts - 1));
  }

  private async attempt(batch: Batch): Promise<void> {
    this.inFlight += 1;
    batch.attempts += 1;
    const outcome: SendOutcome = await this.delivery
      .send(batch.kind, batch.items)
      .catch((error: Error) => ({ ok: false, retryable: true, reason: error.message }));
    this.inFlight -= 1;
    if (outcome.ok) {
      this.counts.pending[batch.kind] -= batch.items.length;
      this.counts.sent[batch.kind] += batch.items.length;
    } else {
      this.failures[outcome.reason] = (this.failures[outcome.reason] ?? 0) + 1;
      batch.lastReason = outcome.reason;
      if (!outcome.retryable) this.abandon(batch, outcome.reason);
      else if (this.givingUp) this.abandon(batch, `still failing at the deadline: ${outcome.reason}`);
      else {
        this.retries += 1;
        const delay = outcome.retryAfterMs ?? this.backoffMs(batch.attempts);
        const timer = setTimeout(() => {
          this.waiting.delete(batch);
          this.ready.push(batch);
          this.pump();
        }, delay);
        this.waiting.set(batch, timer);
      }
    }
    this.pump();
    this.notify();
  }

  private abandon(batch: Batch, reason: string): void {
    this.counts.pending[batch.kind] -= batch.items.length;
    this.counts.notSent[batch.kind] += batch.items.length;
    this.notSentReasons[reason] = (this.notSentReasons[reason] ?? 0) + batch.items.length;
  }
}
