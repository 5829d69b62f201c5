import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type pg from 'pg';
import type { BehavioralEvent } from '@shared/contracts/behavioral-event';
import type { SessionCompleted } from '@shared/contracts/session-completed';
import { QUEUE_NAMES } from '@shared/queues/queue-names';
import { readAggregate } from '@shared/store/aggregate-store';
import { expectStoredAggregates } from './expected-aggregates';
import type { Traffic } from './traffic';
import { busyJobs, waitUntilDrained } from './queue-drain';

/**
 * What the reliability tests share: an independent ledger of what the system accepted,
 * a probe on the queues, and the exact-totals check (traffic: test/support/traffic.ts).
 */

/** What the system said it accepted (a 202, a resolved publish), by id: the oracle of every total. */
export class AcceptedLedger {
  private readonly events = new Map<string, BehavioralEvent>();
  private readonly sessions = new Map<string, SessionCompleted>();

  acceptEvents(events: BehavioralEvent[]): void {
    for (const e of events) this.events.set(e.eventId, e);
  }

  acceptSessions(sessions: SessionCompleted[]): void {
    for (const s of sessions) this.sessions.set(s.sessionId, s);
  }

  get eventCount(): number {
    return this.events.size;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  users(): string[] {
    return [...new Set([...[...this.events.values()].map((e) => e.userId), ...[...this.sessions.values()].map((s) => s.userId)])].sort();
  }

  eventsOf(userId: string): number {
    return [...this.events.values()].filter((e) => e.userId === userId).length;
  }

  published(): Traffic {
    return { events: [...this.events.values()], sessions: [...this.sessions.values()] };
  }
}

/**
 * POSTs one batch like a well-behaved study app: on 503 it waits what `Retry-After` says
 * and sends the same batch again, until a 202 or the deadline. Records the 202 in the ledger.
 */
export async function postUntilAccepted(
  baseUrl: string,
  kind: 'events' | 'sessions',
  batch: BehavioralEvent[] | SessionCompleted[],
  ledger: AcceptedLedger,
  options: { deadlineMs?: number; headers?: Record<string, string>; onUnavailable?: (retryAfter: string | null) => void } = {},
): Promise<{ attempts: number }> {
  const deadline = Date.now() + (options.deadlineMs ?? 60_000);
  for (let attempts = 1; ; attempts += 1) {
    const response = await fetch(`${baseUrl}/api/${kind}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...options.headers },
      body: JSON.stringify({ [kind]: batch }),
    });
    const body = await response.text();
    if (response.status === 202) {
      expect(JSON.parse(body)).toEqual({ accepted: batch.length });
      if (kind === 'events') ledger.acceptEvents(batch as BehavioralEvent[]);
      else ledger.acceptSessions(batch as SessionCompleted[]);
      return { attempts };
    }
    if (response.status !== 503) throw new Error(`POST /api/${kind} answered ${response.status}: ${body}`);
    const retryAfter = response.headers.get('retry-after');
    options.onUnavailable?.(retryAfter);
    if (Date.now() > deadline) throw new Error(`POST /api/${kind} still 503 after ${attempts} attempts`);
    await new Promise((r) => setTimeout(r, 1_000 * Math.max(0.05, Number(retryAfter ?? 1))));
  }
}

/** Polls `condition` until it holds; the error names what was awaited. Never an assertion on time. */
export async function waitFor<T>(what: string, condition: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The test's own view of the four queues of a prefix (its own connection, closed by close()). */
export class QueueProbe {
  readonly connection: Redis;
  private readonly queues = new Map<string, Queue>();

  constructor(redisUrl: string, readonly prefix: string) {
    this.connection = new Redis(redisUrl, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(50 * times, 500) });
    this.connection.on('error', () => undefined);
  }

  queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix });
      queue.on('error', () => undefined);
      this.queues.set(name, queue);
    }
    return queue;
  }

  async busy(): Promise<number> {
    let busy = 0;
    for (const name of Object.values(QUEUE_NAMES)) busy += await busyJobs(this.queue(name));
    return busy;
  }

  /** Resolves once no queue has had a job to run for `quietMs`. */
  drained(timeoutMs = 60_000, quietMs = 300): Promise<void> {
    return waitUntilDrained(Object.values(QUEUE_NAMES).map((name) => this.queue(name)), { timeoutMs, quietMs });
  }

  /** Obliterates the queues (the prefix is the test's own) and closes the connection. */
  async close(): Promise<void> {
    for (const name of Object.values(QUEUE_NAMES)) await this.queue(name).obliterate({ force: true }).catch(() => undefined);
    for (const queue of this.queues.values()) await queue.close().catch(() => undefined);
    this.connection.disconnect();
  }
}

/**
 * Exactly once, checked three ways against the ledger: the raw rows (one per accepted id),
 * every stored aggregate of every user equal to a from-scratch computation over what was
 * accepted (at the instant the pipeline computed it), and the dashboard's event total.
 */
export async function expectExactTotals(pool: pg.Pool, ledger: AcceptedLedger): Promise<void> {
  const { rows } = await pool.query<{ events: number; sessions: number; distinct_events: number }>(
    'SELECT (SELECT count(*)::int FROM behavioral_events) AS events, (SELECT count(DISTINCT event_id)::int FROM behavioral_events) AS distinct_events, (SELECT count(*)::int FROM study_sessions) AS sessions',
  );
  expect(rows[0]).toEqual({ events: ledger.eventCount, distinct_events: ledger.eventCount, sessions: ledger.sessionCount });
  const published = ledger.published();
  for (const userId of ledger.users()) {
    const dashboard = await readAggregate(pool, userId, 'behavioral-insights/dashboard', '-');
    expect({ userId, events: (dashboard?.data as { totals?: { events?: number } } | undefined)?.totals?.events }).toEqual({ userId, events: ledger.eventsOf(userId) });
    await expectStoredAggregates(pool, userId, published, new Date(dashboard!.computedAt));
  }
}

export interface HttpAnswer {
  status: number;
  /** `X-Cache`: the tier that served an analytics read. */
  tier: string | null;
  retryAfter: string | null;
  body: any;
}

/** One GET against a running API, with the headers the reliability tests look at. */
export async function getJson(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const response = await fetch(`${baseUrl}${path}`, { headers });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: kept as text for the failure message.
  }
  return { status: response.status, tier: response.headers.get('x-cache'), retryAfter: response.headers.get('retry-after'), body };
}
