import { randomUUID } from 'node:crypto';
import { Client, type Pool } from 'pg';
import type { Logger } from '../logger/logger';
import { decodeInvalidation, encodeInvalidation } from './invalidation-bus';
import type { InvalidationHandlers, InvalidationPublisher, InvalidationSource } from './invalidation-source';
import type { AggregateWriteThrough, UserEntries } from './write-through';

/**
 * Cross-process L1 invalidation over PostgreSQL LISTEN/NOTIFY: the embedded mode's bus (no
 * Redis). The same channel and wire format as the Redis bus (the key space's channel,
 * `encodeInvalidation`); NOTIFY payloads are limited to 8000 bytes, so a big batch of users
 * goes out in several messages.
 */
const MAX_PAYLOAD = 7_500;
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5_000;

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Messages for `userIds`, each under the NOTIFY payload limit. */
export function invalidationPayloads(origin: string, userIds: readonly string[]): string[] {
  const payloads: string[] = [];
  let batch: string[] = [];
  for (const userId of userIds) {
    if (batch.length > 0 && encodeInvalidation(origin, [...batch, userId]).length > MAX_PAYLOAD) {
      payloads.push(encodeInvalidation(origin, batch));
      batch = [];
    }
    batch.push(userId);
  }
  if (batch.length > 0) payloads.push(encodeInvalidation(origin, batch));
  return payloads;
}

/** The listening end, on a connection of its own; reconnects by itself and asks for a resync when back. */
export class PostgresInvalidationSource implements InvalidationSource {
  private client: Client | null = null;
  private handlers: InvalidationHandlers | null = null;
  private closed = false;
  private everConnected = false;
  private reconnectDelayMs = RECONNECT_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: { databaseUrl: string; channel: string; origin?: string; logger?: Logger }) {}

  /** The id this process's own messages carry (they are ignored here). */
  get origin(): string {
    return (this.options.origin ??= randomUUID());
  }

  async start(handlers: InvalidationHandlers): Promise<void> {
    this.handlers = handlers;
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new Client({ connectionString: this.options.databaseUrl, application_name: 'study-analytics:invalidation' });
    const lost = () => {
      if (this.client !== client) return;
      this.client = null;
      client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (n) => n.payload && this.onPayload(n.payload));
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdentifier(this.options.channel)}`);
    } catch (error) {
      client.end().catch(() => undefined);
      this.options.logger?.debug({ err: (error as Error).message }, 'invalidation listener cannot connect yet');
      this.scheduleReconnect();
      return;
    }
    if (this.closed) return void client.end().catch(() => undefined);
    this.client = client;
    this.reconnectDelayMs = RECONNECT_MIN_MS;
    // Anything published while we were not listening is lost: start from an empty L1.
    if (this.everConnected) this.handlers?.resync();
    this.everConnected = true;
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    this.everConnected = true; // what comes after a gap is a resync, even if the first connect failed
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, this.reconnectDelayMs);
    this.reconnectDelayMs = Math.min(RECONNECT_MAX_MS, this.reconnectDelayMs * 2);
  }

  private onPayload(raw: string): void {
    const message = decodeInvalidation(raw);
    if (!message || message.origin === this.origin) return;
    for (const userId of message.userIds) this.handlers?.invalidate(userId);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }
}

/** The sending end: `SELECT pg_notify(...)` on a pool it is handed (not closed here). */
export class PostgresInvalidationPublisher implements InvalidationPublisher {
  readonly origin = randomUUID();

  constructor(private readonly options: { pool: Pick<Pool, 'query'>; channel: string }) {}

  async publish(userIds: readonly string[]): Promise<boolean> {
    if (userIds.length === 0) return true;
    const channel = this.options.channel;
    try {
      for (const payload of invalidationPayloads(this.origin, userIds)) {
        await this.options.pool.query('SELECT pg_notify($1, $2)', [channel, payload]);
      }
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {}
}

/**
 * The recompute's write side of the cache without an L2 (embedded mode): there are no
 * shared entries to replace, so a write-through is an invalidation — every API drops the
 * users from its L1 and its next read loads the summary table the recompute just saved.
 * Resolves with no users when the message could not be sent (the recompute is retried).
 */
export class InvalidatingWriteThrough implements AggregateWriteThrough {
  constructor(private readonly publisher: InvalidationPublisher) {}

  async writeThroughUsers(users: readonly UserEntries[]): Promise<Set<string>> {
    return this.invalidateUsers(users.map((u) => u.userId));
  }

  async invalidateUsers(userIds: readonly string[]): Promise<Set<string>> {
    return (await this.publisher.publish(userIds)) ? new Set(userIds) : new Set();
  }
}
