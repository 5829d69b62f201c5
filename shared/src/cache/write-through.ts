import type { TtlClass } from './ttl';

/** One user's fresh entries: each value already serialized (a StoredAggregate as JSON text). */
export interface UserEntries {
  userId: string;
  entries: { key: string; json: string; ttlClass: TtlClass }[];
}

/**
 * The write side of the cache, as a recompute sees it: replace each user's entries in L2
 * at once and drop them from every API's L1. Implemented by CacheWriter (the server mode:
 * Redis) and InvalidatingWriteThrough (the embedded mode: no L2, a NOTIFY to every L1).
 */
export interface AggregateWriteThrough {
  /** Resolves with the users whose entries Redis took (every user when there is no Redis tier). */
  writeThroughUsers(users: readonly UserEntries[]): Promise<Set<string>>;
  /**
   * Drops users' entries from L2 and from every API's L1; resolves with the users done.
   * What repairs a cache whose write-through failed (CacheRepairer).
   */
  invalidateUsers(userIds: readonly string[]): Promise<Set<string>>;
}
