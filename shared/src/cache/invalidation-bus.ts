import type { RedisClient } from '../redis/redis-connection';

/** What travels on the bus: which users' entries (optionally one aggregate) to drop. Keys only, never values. */
export interface InvalidationMessage {
  origin: string;
  userId: string;
  aggregate?: string;
}

/** On the wire: one user (`userId`) or a recompute batch (`userIds`, one message for all). */
interface WireMessage {
  origin: string;
  userId?: string;
  userIds?: string[];
  aggregate?: string;
}

export function encodeInvalidation(origin: string, userIds: readonly string[], aggregate?: string): string {
  const users: Pick<WireMessage, 'userId' | 'userIds'> = userIds.length === 1 ? { userId: userIds[0] } : { userIds: [...userIds] };
  return JSON.stringify({ origin, ...users, ...(aggregate ? { aggregate } : {}) } satisfies WireMessage);
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
    let message: WireMessage;
    try {
      message = JSON.parse(raw) as WireMessage;
    } catch {
      return;
    }
    if (message === null || typeof message !== 'object' || message.origin === this.instanceId) return;
    const userIds = Array.isArray(message.userIds) ? message.userIds : [message.userId];
    for (const userId of userIds) {
      if (typeof userId === 'string') this.handlers.invalidate({ origin: message.origin, userId, ...(message.aggregate ? { aggregate: message.aggregate } : {}) });
    }
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
    return encodeInvalidation(this.instanceId, [userId], aggregate);
  }

  async close(): Promise<void> {
    this.subscriber.off('message', this.onMessage);
    this.subscriber.off('close', this.onClose);
    this.subscriber.off('ready', this.onReady);
    if (this.subscriber.status === 'ready') await this.subscriber.unsubscribe(this.channel).catch(() => undefined);
  }
}
