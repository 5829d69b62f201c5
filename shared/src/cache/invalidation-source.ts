/** What a read cache does with what it hears from the processes that write. */
export interface InvalidationHandlers {
  /** Drop one user's L1 entries. */
  invalidate(userId: string): void;
  /** Messages may have been missed (the channel dropped): drop everything local. */
  resync(): void;
}

/**
 * Where an L1 hears the writers' invalidations: Redis pub/sub in the server mode
 * (InvalidationBus), PostgreSQL LISTEN in the embedded mode (PostgresInvalidationSource).
 */
export interface InvalidationSource {
  /** Resolves once listening (or once it has given up for now: it keeps trying, and resyncs when back). */
  start(handlers: InvalidationHandlers): Promise<void>;
  close(): Promise<void>;
}

/** How a process that writes aggregates tells every reader to drop users (the other end of a source). */
export interface InvalidationPublisher {
  /** Resolves false when the message could not be sent. */
  publish(userIds: readonly string[]): Promise<boolean>;
  close(): Promise<void>;
}
