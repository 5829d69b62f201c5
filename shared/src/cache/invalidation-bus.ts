import type { RedisClient } from '../redis/redis-connection';

/** What travels on the bus: which users' entries (optionally one aggregate) to drop. Keys only, never values. */
export interface InvalidationMessage {
  origin: string;
  userId: string;
  aggregate?: string;
}

/**
 * Cross-instance L1 invalidation over Redis pub/sub. Ignores its own messages. When the
 * subscriber connection drops, messages may be lost: on reconnect it calls `onResync` so
 * the cache drops everything it can no longer trust.
 */
export class InvalidationBus {
  private disconnected = false;
  private started: Promise<void> | undefined;
  private readonly onMessage = (channel: string, raw: string) => {
    if (channel !== this.channel) return;
    let message: InvalidationMessage;
    try {
      message = JSON.parse(raw) as InvalidationMessage;
    } catch {
      return;
    }
    if (message.origin !== this.instanceId && typeof message.userId === 'string') this.handlers.invalidate(message);
  };
  private readonly onClose = () => {
    this.disconnected = true;
  };
  private readonly onReady = () => {
    if (!this.disconnected) return;
    this.disconnected = false;
    this.handlers.resync();
  };

  constructor(
    private readonly subscriber: RedisClient,
    readonly channel: string,
    private readonly instanceId: string,
    private readonly handlers: { invalidate(message: InvalidationMessage): void; resync(): void },
  ) {}

  /** Subscribes; resolves once subscribed (or when Redis is down: it subscribes on reconnect). */
  start(): Promise<void> {
    this.started ??= (async () => {
      this.subscriber.on('message', this.onMessage);
      this.subscriber.on('close', this.onClose);
      this.subscriber.on('ready', this.onReady);
      await this.subscriber.subscribe(this.channel).catch(() => {
        // Down at start: everything until the first 'ready' is untrusted anyway.
        this.disconnected = true;
      });
    })();
    return this.started;
  }

  encode(userId: string, aggregate?: string): string {
    return JSON.stringify({ origin: this.instanceId, userId, ...(aggregate ? { aggregate } : {}) } satisfies InvalidationMessage);
  }

  async close(): Promise<void> {
    this.subscriber.off('message', this.onMessage);
    this.subscriber.off('close', this.onClose);
    this.subscriber.off('ready', this.onReady);
    if (this.subscriber.status === 'ready') await this.subscriber.unsubscribe(this.channel).catch(() => undefined);
  }
}
