import type { InvalidationMessage } from './invalidation-bus';

/** What a cache does with what it hears from other processes. */
export interface InvalidationHandlers {
  /** Drop one user's (or one aggregate's) L1 entries. */
  invalidate(message: InvalidationMessage): void;
  /** Messages may have been missed (the channel dropped): drop everything local. */
  resync(): void;
}

/**
 * Where an L1 hears other processes' invalidations. The server mode's is the Redis pub/sub
 * InvalidationBus the HybridCache builds over its `subscriber`; a cache without Redis (the
 * embedded mode) is handed one instead, e.g. PostgreSQL LISTEN.
 */
export interface InvalidationSource {
  /** Resolves once listening (or once it has given up for now: it keeps trying, and resyncs when back). */
  start(handlers: InvalidationHandlers): Promise<void>;
  close(): Promise<void>;
}

/** How a process that writes aggregates tells every reader to drop users (the other end of a source). */
export interface InvalidationPublisher {
  /** Resolves false when the message could not be sent. */
  publish(userIds: readonly string[], aggregate?: string): Promise<boolean>;
  close(): Promise<void>;
}
