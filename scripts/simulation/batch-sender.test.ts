import { BatchSender } from './batch-sender';
import type { BatchKind, Delivery, SendOutcome } from './delivery';

/** A delivery that answers from a script, one outcome per attempt, and records what it got. */
function scriptedDelivery(script: (attempt: number, kind: BatchKind, items: object[]) => SendOutcome): Delivery & { attempts: number } {
  const delivery = {
    via: 'publisher' as const,
    attempts: 0,
    async send(kind: BatchKind, items: object[]) {
      delivery.attempts += 1;
      return script(delivery.attempts, kind, items);
    },
  };
  return delivery;
}

const items = (n: number) => Array.from({ length: n }, (_, i) => ({ i }));

describe('BatchSender', () => {
  it('retries a batch that failed for a passing reason until it is sent', async () => {
    const delivery = scriptedDelivery((attempt) => (attempt <= 2 ? { ok: false, retryable: true, reason: 'Redis unavailable' } : { ok: true }));
    const sender = new BatchSender(delivery, { initialBackoffMs: 1, maxBackoffMs: 2 });
    sender.submit('events', items(3));
    await sender.drain(5_000);
    expect(sender.stats()).toMatchObject({
      sent: { events: 3, sessions: 0 },
      notSent: { events: 0, sessions: 0 },
      pending: { events: 0, sessions: 0 },
      retries: 2,
      failures: { 'Redis unavailable': 2 },
    });
  });

  it('does not retry a batch the other side refused, and says why it was not sent', async () => {
    const delivery = scriptedDelivery((_attempt, kind) => (kind === 'sessions' ? { ok: false, retryable: false, reason: 'HTTP 401: unknown key' } : { ok: true }));
    const sender = new BatchSender(delivery);
    sender.submit('events', items(4));
    sender.submit('sessions', items(2));
    await sender.drain(5_000);
    expect(delivery.attempts).toBe(2);
    expect(sender.stats()).toMatchObject({ sent: { events: 4, sessions: 0 }, notSent: { events: 0, sessions: 2 }, notSentReasons: { 'HTTP 401: unknown key': 2 } });
  });

  it('gives up at the drain deadline and counts what is left as not sent, with the last reason', async () => {
    const delivery = scriptedDelivery(() => ({ ok: false, retryable: true, reason: 'HTTP 503: queue unavailable', retryAfterMs: 60_000 }));
    const sender = new BatchSender(delivery);
    sender.submit('events', items(5));
    await sender.drain(50);
    const stats = sender.stats();
    expect(stats.sent.events + stats.notSent.events).toBe(5);
    expect(stats).toMatchObject({ notSent: { events: 5 }, pending: { events: 0, sessions: 0 }, notSentReasons: { 'still failing at the deadline: HTTP 503: queue unavailable': 5 } });
  });

  it('treats a delivery that throws as a passing failure', async () => {
    const delivery = scriptedDelivery((attempt) => {
      if (attempt === 1) throw new Error('socket hang up');
      return { ok: true };
    });
    const sender = new BatchSender(delivery, { initialBackoffMs: 1 });
    sender.submit('sessions', items(1));
    await sender.drain(5_000);
    expect(sender.stats()).toMatchObject({ sent: { sessions: 1 }, retries: 1, failures: { 'socket hang up': 1 } });
  });
});
