import type { RedisClient } from '../redis/redis-connection';
import type { InvalidationHandlers, InvalidationSource } from './invalidation-source';

/**
 * The invalidation message, the same on Redis pub/sub and PostgreSQL NOTIFY: the users whose
 * entries changed — keys only, never values — and the id of the process that sent it.
 * One user travels as `userId`, a recompute batch as `userIds` (one message for all).
 */
interface WireMessage {
  origin: string;
  userId?: string;
  userIds?: string[];
}

export function encodeInvalidation(origin: string, userIds: readonly string[]): string {
  const users: Pick<WireMessage, 'userId' | 'userIds'> = userIds.length === 1 ? { userId: userIds[0] } : { userIds: [...userIds] };
  return JSON.stringify({ origin, ...users } satisfies WireMessage);
}

/** The sender and users of a message; null for text that is not one. */
export function decodeInvalidation(raw: string): { origin: string; userIds: string[] } | null {
  let message: Partial<WireMessage> | null;
  try {
    message = JSON.parse(raw) as Partial<WireMessage> | null;
  } catch {
    return null;
  }
  if (message === null || typeof message !== 'object') return null;
  const userIds = (Array.isArray(message.userIds) ? message.userIds : [message.userId]).filter((id): id is string => typeof id === 'string');
  return { origin: String(message.origin), userIds };
}

/**
 * Where an API's L1 hears invalidations in the server mode: Redis pub/sub, on a subscriber
 * connection of its own. When that connection drops, messages may be lost: on reconnect it
 * asks for a resync, so the cache drops everything it can no longer trust.
 */
export class InvalidationBus implements InvalidationSource {
  private disconnected = false;
  private handlers: InvalidationHandlers | null = null;
  private started: Promise<void> | undefined;
  private readonly onMessage = (channel: string, raw: string) => {
    if (channel !== this.channel) return;
    for (const userId of decodeInvalidation(raw)?.userIds ?? []) this.handlers?.invalidate(userId);
  };
  private readonly onClose = () => {
    this.disconnected = true;
  };
  private readonly onReady = () => {
    if (!this.disconnected) return;
    this.disconnected = false;
    this.handlers?.resync();
  };

  constructor(
    private readonly subscriber: RedisClient,
    readonly channel: string,
  ) {}

  /** Subscribes; resolves once subscribed (or when Redis is down: it subscribes on reconnect). */
  start(handlers: InvalidationHandlers): Promise<void> {
    this.handlers = handlers;
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

  async close(): Promise<void> {
    this.subscriber.off('message', this.onMessage);
    this.subscriber.off('close', this.onClose);
    this.subscriber.off('ready', this.onReady);
    if (this.subscriber.status === 'ready') await this.subscriber.unsubscribe(this.channel).catch(() => undefined);
  }
}
